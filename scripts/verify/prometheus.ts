/** The scrape configuration derived from the specs: `promtool check config`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dockerScrapeResolver } from '../../constructs/targets/docker/addressing';
import { prometheusConfig, scrapeJobs } from '../../monitoring/scrape';
import { type Artifact, envsOf, needs, sh, validator, work, write } from './lib';

export async function verifyPrometheus(artifact: Artifact): Promise<void> {
  if (!needs({ promtool: 'prometheus' }, 'promtool check config')) return;
  for (const dev of envsOf(artifact, 'docker')) {
    const secrets = path.join(work, `prometheus-${dev.name}`, 'secrets');
    fs.mkdirSync(secrets, { recursive: true });
    for (const spec of dev.specs)
      for (const s of spec.secrets) fs.writeFileSync(path.join(secrets, `${spec.name}-${s.name}`), 'VerifySecret0\n');
    const jobs = scrapeJobs(dev.specs, dockerScrapeResolver(secrets));
    const config = prometheusConfig(jobs, { scrapeInterval: '15s', environment: dev.name });
    await validator(
      `${dev.name}: scrape config derived from the specs (promtool check config)`,
      () => sh('promtool', ['check', 'config', write(`prometheus-${dev.name}/prometheus.yml`, config)]),
      () =>
        sh('promtool', [
          'check',
          'config',
          write(`prometheus-${dev.name}/broken.yml`, config.replace('"scrape_interval": "15s"', '"scrape_interval": "soon"')),
        ]),
    );
  }
}
