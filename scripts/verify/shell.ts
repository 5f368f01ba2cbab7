/** Every `sh -c` / `bash -c` script synthesized into a container (health checks, commands, jobs): `sh -n` / `bash -n`. */
import { type Artifact, needs, sh, terraformRender, validator } from './lib';

export async function verifyShell(artifact: Artifact): Promise<void> {
  if (!needs({ sh: 'dash', bash: 'bash' }, 'shell syntax')) return;
  const scripts: { where: string; shell: string; script: string }[] = [];
  for (const [address, c] of Object.entries<any>(artifact.stackJson('development').resource.docker_container)) {
    for (const [field, argv] of [
      ['healthcheck', (c.healthcheck?.test ?? []).slice(1)],
      ['entrypoint', c.entrypoint ?? []],
      ['command', c.command ?? []],
    ] as [string, string[]][]) {
      const i = argv.findIndex((a, k) => /^(\/bin\/)?(sh|bash)$/.test(a) && argv[k + 1] === '-c');
      if (i >= 0)
        scripts.push({ where: `${address} ${field}`, shell: argv[i]!.replace('/bin/', ''), script: terraformRender(argv[i + 2]!) });
    }
  }
  const parse = (items: typeof scripts) => {
    const bad = items.map((x) => ({ ...x, r: sh(x.shell, ['-n', '-c', x.script]) })).filter((x) => x.r.code !== 0);
    return bad.length === 0 ? { code: 0, out: '' } : { code: 1, out: bad.map((x) => `${x.where}: ${x.r.out}`).join('\n') };
  };
  await validator(
    `shell scripts in containers, ${scripts.length} of them (sh -n / bash -n)`,
    () => (scripts.length >= 8 ? parse(scripts) : { code: 1, out: `only ${scripts.length} scripts found` }),
    () => parse(scripts.map((x) => ({ ...x, script: `${x.script} 'unterminated` }))),
  );
}
