/** Scrape jobs derived from the specs, addressed as the Docker target runs them. */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { dockerScrapeResolver } from '../constructs/targets/docker/addressing';
import { prometheusConfig, scrapeJobs } from '../monitoring/scrape';
import { env, variant } from './helpers';

const jobs = scrapeJobs(env('development').specs, dockerScrapeResolver('/etc/prometheus/secrets'));
const job = (name: string) => jobs.find((j) => j.job_name === name)!;

describe('scrape jobs (development, Docker addressing)', () => {
  it('has one job per service', () => {
    expect(jobs.map((j) => j.job_name).sort()).toEqual(
      env('development')
        .specs.map((s) => s.name)
        .sort(),
    );
  });

  it('scrapes exporter sidecars at their own alias', () => {
    expect(job('redis').static_configs[0]!.targets).toEqual(['redis-exporter:9121']);
    expect(job('postgres').static_configs[0]!.targets).toEqual(['postgres-exporter:9187']);
    expect(job('nats').static_configs[0]!.labels).toEqual({ service: 'nats', component: 'nats', source: 'exporter' });
  });

  it('scrapes native endpoints on the service itself', () => {
    expect(job('rabbitmq')).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: ['rabbitmq:15692'] }] });
    expect(job('garage')).toMatchObject({ metrics_path: '/metrics', static_configs: [{ targets: ['garage:3903'] }] });
  });

  it('authenticates to every endpoint that needs it: the object store needs a token', () => {
    expect(job('garage').authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/garage-metrics-token' });
    const minio = prepare(variant('development', (i) => (i.services.objectstore = { engine: 'minio' })));
    const m = scrapeJobs(minio.specs, dockerScrapeResolver('/etc/prometheus/secrets')).find((j) => j.job_name === 'minio')!;
    expect(m).toMatchObject({ metrics_path: '/minio/v2/metrics/cluster', static_configs: [{ targets: ['minio:9000'] }] });
    expect(m.authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/minio-metrics-token/token' });
    // Exporters and probes answer without a credential, by declaration.
    expect(job('redis').authorization).toBeUndefined();
  });

  it('authenticates to Qdrant with the read-only key from a file', () => {
    expect(job('qdrant').authorization).toEqual({ type: 'Bearer', credentials_file: '/etc/prometheus/secrets/qdrant-read-only-api-key' });
  });

  it('probes services without metrics through their blackbox sidecar', () => {
    expect(job('neo4j')).toMatchObject({
      metrics_path: '/probe',
      params: { module: ['service'], target: ['http://neo4j:7474/'] },
      static_configs: [{ targets: ['neo4j-probe:9115'] }],
    });
    expect(job('kibana').params!.target).toEqual(['http://kibana:5601/api/status']);
  });

  it('renders a Prometheus configuration', () => {
    const config = JSON.parse(prometheusConfig(jobs, { scrapeInterval: '15s', environment: 'development' }));
    expect(config.global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s', external_labels: { environment: 'development' } });
    expect(config.scrape_configs).toHaveLength(jobs.length);
  });
});
