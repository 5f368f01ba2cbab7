/** blackbox.yml of every probe sidecar: `blackbox_exporter --config.check`. */
import { type Artifact, dockerFiles, needs, sh, validator, write } from './lib';

export async function verifyBlackbox(artifact: Artifact): Promise<void> {
  if (!needs({ 'prometheus-blackbox-exporter': 'prometheus-blackbox-exporter' }, 'blackbox_exporter --config.check')) return;
  for (const conf of dockerFiles(artifact, artifact.envs.get('development')!, 'blackbox.yml')) {
    await validator(
      `blackbox.yml of ${conf.service} (blackbox_exporter --config.check)`,
      () => sh('prometheus-blackbox-exporter', ['--config.check', `--config.file=${write(`blackbox/${conf.service}.yml`, conf.content)}`]),
      () =>
        sh('prometheus-blackbox-exporter', [
          '--config.check',
          `--config.file=${write(`blackbox/${conf.service}-broken.yml`, conf.content.replace('timeout: 5s', 'timeout: soon'))}`,
        ]),
    );
  }
}
