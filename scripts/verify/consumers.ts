/**
 * The consumers' publish job on Docker, run for real: its wrapped command (the synthesized entrypoint,
 * with the job's uploaded files as Terraform writes them) against a scratch copy of its seed directory
 * and a volume that still holds a stale file. Checked: every fact and credential lands in the layout
 * Kubernetes mounts (`<service>/<fact>` 0444, `<service>-credentials/<key>` 0440), the stale file is
 * gone, the seed copies of the secret files are deleted when the job ends, and the exit status is 0.
 * Broken variant: a script that leaves the credentials world-readable, which must be refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, type Outcome, sh, terraformRender, validator, work } from './lib';

const SEED = '/seed';
const OUT = '/out';

function run(job: any, resources: Record<string, Record<string, any>>, label: string, breakIt: boolean): Outcome {
  const dir = fs.mkdtempSync(path.join(work, `publish-${label}-`));
  const seed = path.join(dir, 'seed');
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'stale'), 'from an earlier run');
  const expected: { rel: string; mode: number; content: string; generated: boolean }[] = [];
  // Files only: a directory entry (`/run/secrets/`, where the wrapper's uploads land) has no content.
  for (const u of (job.upload as { file: string; content: string; permissions: string }[]).filter((x) => !x.file.endsWith('/'))) {
    const rel = path.relative(SEED, u.file);
    const file = path.join(seed, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const content = terraformRender(u.content, resources);
    fs.writeFileSync(file, content, { mode: Number.parseInt(u.permissions, 8) });
    expected.push({
      rel,
      mode: rel.split('/')[0]!.endsWith('-credentials') ? 0o440 : 0o444,
      content,
      generated: /\$\{[^}]*random_/.test(u.content),
    });
  }
  let argv = (job.entrypoint as string[]).map((a) => a.replaceAll(`${SEED}/`, `${seed}/`).replaceAll(OUT, out));
  if (breakIt) argv = argv.map((a) => a.replace(/chmod 0440 "\$d"\/\*; /, ''));
  const r = sh(argv[0]!, argv.slice(1));
  if (r.code !== 0) return r;
  const problems: string[] = [];
  if (fs.existsSync(path.join(out, 'stale'))) problems.push('a stale file was left in the volume');
  for (const e of expected) {
    const file = path.join(out, e.rel);
    if (!fs.existsSync(file)) {
      problems.push(`${e.rel} is missing`);
      continue;
    }
    const mode = fs.statSync(file).mode & 0o777;
    if (mode !== e.mode) problems.push(`${e.rel} has mode 0${mode.toString(8)}, want 0${e.mode.toString(8)}`);
    if (fs.readFileSync(file, 'utf8') !== e.content) problems.push(`${e.rel} has other content`);
  }
  const secretsLeft = expected.filter((e) => e.generated && fs.existsSync(path.join(seed, e.rel)));
  if (secretsLeft.length) problems.push(`seed copies of secret files left: ${secretsLeft.map((e) => e.rel).join(', ')}`);
  if (!expected.some((e) => e.mode === 0o440)) problems.push('the job publishes no credential');
  return problems.length ? { code: 1, out: problems.join('\n') } : { code: 0, out: '' };
}

export async function verifyConsumers(artifact: Artifact): Promise<void> {
  for (const env of envsOf(artifact, 'docker')) {
    const tf = artifact.stackJson(env.name);
    for (const [address, job] of Object.entries<any>(tf.resource.docker_container ?? {}).filter(([a]) =>
      /^consumer-.*_job_publish$/.test(a),
    )) {
      await validator(
        `${env.name}: ${address} (the consumer's files as Kubernetes mounts them, credentials 0440, seed secrets deleted; sh)`,
        () => run(job, tf.resource, `${env.name}-good`, false),
        () => run(job, tf.resource, `${env.name}-bad`, true),
      );
    }
  }
}
