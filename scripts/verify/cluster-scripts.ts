/**
 * The shell scripts clusters carry (the members' start scripts, the RabbitMQ wrapper with its cookie
 * step, Garage's connect step), from the clusters environment's ConfigMaps: `sh -n` / `bash -n` on
 * each; and qdrant-member.sh run with an entrypoint that prints its arguments, so member 0 starts the
 * consensus and the others bootstrap from it. (redis-member.sh and the RabbitMQ wrapper run for real
 * in their drills; garage-connect.sh has no Garage to run against here.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Artifact, needs, sh, validator } from './lib';
import { clustersStack, memberContainer, memberDir } from './cluster-lib';

export async function verifyClusterScripts(_artifact: Artifact): Promise<void> {
  if (!needs({ sh: 'dash', bash: 'bash' }, 'cluster scripts')) return;
  const { tf } = clustersStack();
  const scripts: { where: string; shell: string; script: string }[] = [];
  for (const [name, cm] of Object.entries<any>(tf.resource.kubernetes_config_map_v1 ?? {})) {
    for (const [key, content] of Object.entries<string>(cm.data ?? {})) {
      const shebang = /^#!\s*(?:\/usr\/bin\/env\s+)?(?:\/bin\/|\/usr\/bin\/)?(sh|bash)\b/.exec(content);
      if (shebang && /member|connect|platform-rabbitmq/.test(key))
        scripts.push({ where: `${name} ${key}`, shell: shebang[1]!, script: content.replaceAll('$${', '${') });
    }
  }
  const parse = (items: typeof scripts) => {
    const bad = items.map((x) => ({ ...x, r: sh(x.shell, ['-n', '-c', x.script]) })).filter((x) => x.r.code !== 0);
    return bad.length === 0 ? { code: 0, out: '' } : { code: 1, out: bad.map((x) => `${x.where}: ${x.r.out}`).join('\n') };
  };
  await validator(
    `cluster start and connect scripts, ${scripts.length} of them (sh -n / bash -n)`,
    () => (scripts.length >= 4 ? parse(scripts) : { code: 1, out: `only ${scripts.map((s) => s.where).join(', ')}` }),
    () => parse(scripts.map((x) => ({ ...x, script: `${x.script}\nif then` }))),
  );

  // qdrant-member.sh with the environment of members 0 and 1: what would it pass to Qdrant?
  const run = (index: number, edit: (s: string) => string = (s) => s) => {
    const m = memberContainer('qdrant', index);
    const dir = memberDir('qdrant', index);
    fs.writeFileSync(path.join(dir, 'entrypoint.sh'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const script = edit(m.files.get('/usr/local/bin/qdrant-member.sh')!);
    return sh('bash', ['-c', script], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...m.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  };
  const expected = (index: number) => {
    const e = memberContainer('qdrant', index).env;
    return index === 0 ? `--uri ${e.QDRANT_MEMBER_URI}` : `--uri ${e.QDRANT_MEMBER_URI} --bootstrap ${e.QDRANT_FIRST_URI}`;
  };
  const outcome = (runs: ReturnType<typeof run>[]) => {
    const wrong = runs.map((r, i) => ({ i, got: r.out.trim() })).filter(({ i, got }) => got !== expected(i));
    return wrong.length === 0
      ? { code: 0, out: '' }
      : { code: 1, out: wrong.map((w) => `member ${w.i}: ${w.got} (want ${expected(w.i)})`).join('\n') };
  };
  await validator(
    'qdrant-member.sh: member 0 starts the consensus at its own address, the others bootstrap from member 0',
    () => outcome([0, 1, 2].map((i) => run(i))),
    // A script that bootstraps every member (member 0 from itself) must be caught.
    () => outcome([0, 1, 2].map((i) => run(i, (s) => s.replace('[ "$QDRANT_MEMBER_URI" = "$QDRANT_FIRST_URI" ] || ', '')))),
  );
}
