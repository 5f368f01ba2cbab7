/** nats.conf: the server's own configuration test (`nats-server -t`). */
import { type Artifact, dockerFiles, needs, sh, validator, write } from './lib';

export async function verifyNats(artifact: Artifact): Promise<void> {
  if (!needs({ 'nats-server': 'nats-server' }, 'nats-server -t')) return;
  const dev = artifact.envs.get('development')!;
  const [conf] = dockerFiles(artifact, dev, 'nats.conf');
  const env = { ...process.env, NATS_PASSWORD: 'VerifyPassword0' };
  await validator(
    'nats.conf (nats-server -t)',
    () => sh('nats-server', ['-t', '-c', write('nats/nats.conf', conf!.content)], { env }),
    // A misspelt key inside the jetstream block must be caught.
    () =>
      sh(
        'nats-server',
        ['-t', '-c', write('nats/broken.conf', conf!.content.replace('jetstream {', 'jetstream {\n  max_memory_stor: 1'))],
        {
          env,
        },
      ),
  );
}
