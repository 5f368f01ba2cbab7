/** How containers are addressed on the Docker target (pure; shared by the renderer and monitoring). */
import type { ScrapeResolver } from '../../../monitoring/scrape';
import { renderText } from '../../spec/template';

/** Network alias of a container: the service name for the main container, `<service>-<name>` for the others. */
export function aliasOf(service: string, container: string): string {
  return container === 'main' ? service : `${service}-${container}`;
}

/** Terraform name of a container resource: `<service>` for the main one, `<service>_<container>` otherwise. */
export function containerAddress(service: string, container: string): string {
  return container === 'main' ? service : `${service}_${container}`;
}

/** Terraform name of a job's container resource. */
export function jobAddress(service: string, job: string): string {
  return `${service}_job_${job}`;
}

/**
 * Scrape addressing on the Docker network: sidecars are separate containers, so `selfHost` is the
 * service's alias. Secrets are read from files under `secretsDir` named `<service>-<secret>`.
 */
export function dockerScrapeResolver(secretsDir: string): ScrapeResolver {
  return {
    address: (spec, container, port) => `${aliasOf(spec.name, container)}:${port}`,
    text: (spec, value) =>
      renderText(value, {
        literal: (s) => s,
        secret: () => {
          throw new Error(`${spec.name}: a scrape parameter may not carry a secret`);
        },
        host: (ref) => ref.service,
        self: () => spec.name,
        peer: (ref) => ref.service,
        member: () => spec.name,
      }),
    secretFile: (service, name) => `${secretsDir}/${service}-${name}`,
    volumeFile: (service, volume, path) => `${secretsDir}/${service}-${volume}/${path}`,
  };
}
