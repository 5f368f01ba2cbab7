/**
 * Every shell script synthesized into a container: `sh -c` / `bash -c` arguments (health checks,
 * commands, jobs) and uploaded script files (`#!/bin/sh`, `#!/usr/bin/env bash`): `sh -n` / `bash -n`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, envsOf, needs, record, sh, terraformRender, validator, work } from './lib';

export async function verifyShell(artifact: Artifact): Promise<void> {
  if (!needs({ sh: 'dash', bash: 'bash' }, 'shell syntax')) return;
  const scripts: { where: string; shell: string; script: string }[] = [];
  const stacks = envsOf(artifact, 'docker').map((e) => ({ name: e.name, tf: artifact.stackJson(e.name) }));
  for (const { name, tf } of stacks)
    for (const [container, c] of Object.entries<any>(tf.resource.docker_container)) {
      const address = `${name} ${container}`;
      for (const [field, argv] of [
        ['healthcheck', (c.healthcheck?.test ?? []).slice(1)],
        ['entrypoint', c.entrypoint ?? []],
        ['command', c.command ?? []],
      ] as [string, string[]][]) {
        const i = argv.findIndex((a, k) => /^(\/bin\/)?(sh|bash)$/.test(a) && argv[k + 1] === '-c');
        if (i >= 0)
          scripts.push({
            where: `${address} ${field}`,
            shell: argv[i]!.replace('/bin/', ''),
            script: terraformRender(argv[i + 2]!, tf.resource),
          });
      }
      for (const u of c.upload ?? []) {
        const shebang = /^#!\s*(?:\/usr\/bin\/env\s+)?(?:\/bin\/|\/usr\/bin\/)?(sh|bash)\b/.exec(u.content);
        if (shebang) scripts.push({ where: `${address} ${u.file}`, shell: shebang[1]!, script: terraformRender(u.content, tf.resource) });
      }
    }
  const parse = (items: typeof scripts) => {
    const bad = items.map((x) => ({ ...x, r: sh(x.shell, ['-n', '-c', x.script]) })).filter((x) => x.r.code !== 0);
    return bad.length === 0 ? { code: 0, out: '' } : { code: 1, out: bad.map((x) => `${x.where}: ${x.r.out}`).join('\n') };
  };
  // The wrapper that deletes a job's secret files when it ends: files gone, exit status kept.
  const job = stacks
    .flatMap(({ tf }) => Object.values<any>(tf.resource.docker_container))
    .find((c) => c.entrypoint?.[3] === 'with-secrets');
  if (!job) record('job secret cleanup', false, 'no job with secret files found');
  else {
    const wrapper = (script: string, exit: number) => {
      const dir = fs.mkdtempSync(path.join(work, 'job-'));
      // The files the trap names (`rm -f <paths>`), each moved into the scratch directory.
      const files = (/rm -f ([^']+)'/.exec(script)?.[1] ?? '').split(' ').filter(Boolean);
      let moved = script;
      files.forEach((f, i) => {
        fs.writeFileSync(path.join(dir, `secret-${i}`), 'secret');
        moved = moved.replace(f, path.join(dir, `secret-${i}`));
      });
      const run = sh('sh', ['-c', moved, 'with-secrets', 'sh', '-c', `exit ${exit}`]);
      const left = fs.readdirSync(dir);
      return run.code === exit && left.length === 0 && files.length > 0
        ? { code: 0, out: '' }
        : { code: 1, out: `exit ${run.code} (want ${exit}); files left: ${left.join(', ') || 'none'}; files named: ${files.length}` };
    };
    const script = job.entrypoint[2] as string;
    await validator(
      'job wrapper: secret files are deleted when the job ends, success or failure, and the exit status is kept',
      () => {
        const ok = wrapper(script, 0);
        return ok.code !== 0 ? ok : wrapper(script, 3);
      },
      () => wrapper(script.replace(/^trap '[^']*' EXIT; /, ''), 3),
    );
  }
  await validator(
    `shell scripts in containers, ${scripts.length} of them, files among them (sh -n / bash -n)`,
    () =>
      scripts.length >= 12 && scripts.some((s) => s.where.endsWith('.sh'))
        ? parse(scripts)
        : { code: 1, out: `only ${scripts.length} scripts found` },
    () => parse(scripts.map((x) => ({ ...x, script: `${x.script} 'unterminated` }))),
  );
}
