/**
 * Every shell script synthesized into a container: `sh -c` / `bash -c` arguments (health checks,
 * commands, jobs) and uploaded script files (`#!/bin/sh`, `#!/usr/bin/env bash`): `sh -n` / `bash -n`.
 * (The jobs' secret-file wrappers run for real in job-files.ts.)
 */
import { type Artifact, envsOf, needs, sh, terraformRender, validator } from './lib';

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
  await validator(
    `shell scripts in containers, ${scripts.length} of them, files among them (sh -n / bash -n)`,
    () =>
      scripts.length >= 12 && scripts.some((s) => s.where.endsWith('.sh'))
        ? parse(scripts)
        : { code: 1, out: `only ${scripts.length} scripts found` },
    () => parse(scripts.map((x) => ({ ...x, script: `${x.script} 'unterminated` }))),
  );
}
