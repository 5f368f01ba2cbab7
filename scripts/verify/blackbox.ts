/** blackbox.yml of every probe sidecar (Docker) and probe Deployment (Kubernetes): `blackbox_exporter --config.check`. */
import { type Artifact, envsOf, dockerFiles, needs, sh, terraformRender, validator, write } from './lib';

/** The blackbox configurations the Kubernetes stacks keep in ConfigMaps (the probe helpers beside ECK's Kibana). */
function clusterFiles(artifact: Artifact): { service: string; content: string }[] {
  const out: { service: string; content: string }[] = [];
  for (const env of artifact.envs.values()) {
    if (env.target.kind !== 'kubernetes') continue;
    const tf = artifact.stackJson(env.name);
    for (const [address, cm] of Object.entries<any>(tf.resource.kubernetes_config_map_v1 ?? {})) {
      for (const [key, content] of Object.entries<string>(cm.data ?? {})) {
        if (key.endsWith('blackbox_exporter_config.yml'))
          out.push({ service: `${env.name}/${address}`, content: terraformRender(content, tf.resource) });
      }
    }
  }
  return out;
}

export async function verifyBlackbox(artifact: Artifact): Promise<void> {
  if (!needs({ 'prometheus-blackbox-exporter': 'prometheus-blackbox-exporter' }, 'blackbox_exporter --config.check')) return;
  const configs = [
    ...envsOf(artifact, 'docker').flatMap((e) =>
      dockerFiles(artifact, e, 'blackbox.yml').map((f) => ({ ...f, service: `${e.name}/${f.service}` })),
    ),
    ...clusterFiles(artifact),
  ];
  for (const conf of configs) {
    const file = conf.service.replace(/[^A-Za-z0-9_-]/g, '_');
    await validator(
      `blackbox.yml of ${conf.service} (blackbox_exporter --config.check)`,
      () => sh('prometheus-blackbox-exporter', ['--config.check', `--config.file=${write(`blackbox/${file}.yml`, conf.content)}`]),
      () =>
        sh('prometheus-blackbox-exporter', [
          '--config.check',
          `--config.file=${write(`blackbox/${file}-broken.yml`, conf.content.replace('timeout: 5s', 'timeout: soon'))}`,
        ]),
    );
  }
}
