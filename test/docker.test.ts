/** Every service on the Docker target, asserted on the synthesized Terraform JSON. */
import { describe, expect, it } from 'vitest';
import { Testing } from '../constructs/providers/cdktf';
import { imageName } from '../constructs/spec/image';
import { memoryMebibytes, cpuCores } from '../constructs/spec/quantity';
import { orderByDependencies } from '../constructs/targets/docker';
import { containerAddress } from '../constructs/targets/docker/addressing';
import { escapeLiteral } from '../constructs/targets/terraform';
import { loadEnvironment } from '../environments/load';
import { DEFAULT_CREDENTIALS, SECRET_ENV } from '../security/guardrails';
import { env, envMap, synth, variant } from './helpers';

const dev = env('development');
const { tf, text } = synth(dev);
const containers = tf.resource.docker_container!;
const images = tf.resource.docker_image!;
const volumes = tf.resource.docker_volume!;
const passwords = tf.resource.random_password!;
const isJob = (c: any) => c.labels.some((l: any) => l.label === 'platform.job');

describe('the development stack on Docker', () => {
  it('declares the docker and random providers and a local backend outside cdktf.out', () => {
    expect(Object.keys(tf.provider!).sort()).toEqual(['docker', 'random']);
    expect(tf.provider!.docker[0].host).toBe('unix:///var/run/docker.sock');
    expect(tf.terraform.backend).toEqual({ local: { path: '../../../terraform.development.tfstate' } });
    expect(tf.terraform.required_providers.docker).toEqual({ source: 'kreuzwerker/docker', version: '3.6.2' });
  });

  it('puts everything on one bridge network on 172.28.0.0/16', () => {
    expect(tf.resource.docker_network).toEqual({
      network: expect.objectContaining({
        name: 'agent-platform-development',
        driver: 'bridge',
        ipam_config: [{ subnet: '172.28.0.0/16' }],
      }),
    });
    for (const c of Object.values(containers)) {
      expect(c.networks_advanced).toEqual([expect.objectContaining({ name: '${docker_network.network.name}' })]);
    }
  });

  it('publishes host ports on 127.0.0.1 only, and never metrics or cluster ports', () => {
    const published = Object.values(containers).flatMap((c: any) => c.ports ?? []);
    expect(published.length).toBeGreaterThan(10);
    for (const p of published) expect(p.ip).toBe('127.0.0.1');
    const externals = published.map((p: any) => p.external);
    expect(new Set(externals).size).toBe(externals.length);
    for (const port of [7777, 9121, 9187, 9114, 9115, 15692, 9300]) expect(externals).not.toContain(port);
  });

  it('contains no literal default credential and no latest tag anywhere', () => {
    for (const bad of DEFAULT_CREDENTIALS) expect(text.toLowerCase()).not.toContain(bad);
    expect(text).not.toMatch(/:latest"/);
  });

  it('marks the credentials output sensitive and exposes endpoints', () => {
    expect(tf.output!.credentials.sensitive).toBe(true);
    expect(tf.output!.credentials.value['postgres/password']).toBe('${random_password.postgres_password.result}');
    expect(tf.output!.endpoints.value.redis.client).toEqual({ internal: 'redis:6379', host: '127.0.0.1:6379' });
    expect(tf.output!.endpoints.value.redis.metrics).toEqual({ internal: 'redis-exporter:9121' });
    expect(tf.output!.endpoints.value.rabbitmq.prometheus).toEqual({ internal: 'rabbitmq:15692' });
  });

  it('generates secrets alphanumerically with enough length', () => {
    for (const [name, p] of Object.entries(passwords)) {
      expect(p.special, name).toBe(false);
      expect(p.length, name).toBeGreaterThanOrEqual(16);
    }
  });
});

describe.each(dev.specs.map((s) => [s.name, s] as const))('%s on Docker', (name, spec) => {
  const main = containers[name];

  it('runs a main container named after the environment, reachable by the service name', () => {
    expect(main.name).toBe(`agent-platform-development-${name}`);
    expect(main.hostname).toBe(name);
    expect(main.networks_advanced[0].aliases).toEqual([name]);
  });

  for (const c of spec.containers) {
    const key = containerAddress(name, c.name);
    describe(`container ${c.name}`, () => {
      const rc = containers[key];

      it('uses the pinned image through a docker_image', () => {
        expect(rc).toBeDefined();
        const ref = /^\$\{docker_image\.(.+)\.image_id\}$/.exec(rc.image);
        expect(ref, rc.image).not.toBeNull();
        expect(images[ref![1]!].name).toBe(imageName(c.image));
        expect(images[ref![1]!].name).not.toMatch(/:latest$/);
      });

      it('has a health check running the spec command', () => {
        expect(rc.healthcheck.test).toEqual(['CMD', ...c.health.exec.map(escapeLiteral)]);
        expect(rc.healthcheck).toMatchObject({ interval: `${c.health.intervalSeconds}s`, retries: c.health.retries });
      });

      it('has memory and cpu limits from the spec, without swap', () => {
        expect(rc.memory).toBe(memoryMebibytes(c.resources.limits.memory));
        expect(rc.memory_swap).toBe(rc.memory);
        expect(rc.cpus).toBe(cpuCores(c.resources.limits.cpu));
      });

      it('restarts unless stopped, waits to be healthy, and rotates its logs', () => {
        expect(rc).toMatchObject({ restart: 'unless-stopped', must_run: true, wait: true, log_driver: 'json-file' });
        expect(rc.security_opts).toContain('no-new-privileges:true');
      });

      it('receives secrets only as generated values', () => {
        for (const [k, v] of Object.entries(envMap(rc))) {
          if (SECRET_ENV.test(k)) expect(v, k).toMatch(/^(\S*)\$\{random_password\.[A-Za-z0-9_-]+\.result\}(\S*)$/);
        }
      });

      it('gets its config files written in from the spec, not bind-mounted', () => {
        expect(rc.upload.map((u: any) => u.file)).toEqual(c.files.map((f) => f.path));
        for (const u of rc.upload) expect(u.content.length).toBeGreaterThan(0);
        expect(rc.mounts).toBeUndefined();
        for (const v of rc.volumes) expect(v.host_path).toBeUndefined();
      });
    });
  }

  it('keeps each persistent volume on a named docker_volume', () => {
    for (const v of spec.volumes) {
      const volume = volumes[`${name}_${v.name}`];
      expect(volume.name).toBe(`agent-platform-development-${name}-${v.name}`);
      const mount = spec.containers[0]!.mounts.find((m) => m.volume === v.name)!;
      expect(main.volumes).toContainEqual({
        volume_name: `\${docker_volume.${name}_${v.name}.name}`,
        container_path: mount.path,
        read_only: false,
      });
    }
  });

  it('starts after the services it depends on (their main container and jobs)', () => {
    for (const dep of spec.dependsOn) {
      expect(main.depends_on).toContain(`docker_container.${dep}`);
      for (const [k, c] of Object.entries(containers))
        if (k.startsWith(`${dep}_job_`) && isJob(c)) expect(main.depends_on).toContain(`docker_container.${k}`);
    }
  });
});

describe('Docker specifics', () => {
  it('escapes template syntax so Terraform passes it through verbatim', () => {
    const kibanaYml = containers.kibana.upload[0].content as string;
    expect(kibanaYml).toContain('elasticsearch.password: "$${ES_PASSWORD}"');
    expect(containers.neo4j.healthcheck.test.join(' ')).toContain('$${NEO4J_AUTH#neo4j/}');
    expect(escapeLiteral('a ${b} %{c} $d')).toBe('a $${b} %%{c} $d');
  });

  it('runs one-shot jobs to completion after the service is healthy, failing the apply if they fail', () => {
    for (const key of ['minio_job_create-buckets', 'elasticsearch_job_setup-security', 'ollama_job_pull-models']) {
      const job = containers[key];
      expect(job).toMatchObject({ attach: true, must_run: false, restart: 'no' });
      expect(job.lifecycle.postcondition[0].condition).toBe('${self.exit_code == 0}');
      expect(job.depends_on).toEqual([`docker_container.${key.split('_job_')[0]}`]);
      expect(job.memory).toBeGreaterThan(0);
    }
  });

  it('sidecars start after their main container and reach it by its alias', () => {
    expect(containers.redis_exporter.depends_on).toEqual(['docker_container.redis']);
    expect(envMap(containers.redis_exporter).REDIS_ADDR).toBe('redis://redis:6379');
    expect(containers.postgres_exporter.labels).toContainEqual({ label: 'prometheus.io/port', value: '9187' });
  });

  it('gives Ollama all GPUs only when the environment has them', () => {
    expect(containers.ollama.gpus).toBeUndefined();
    const gpu = loadEnvironment(
      variant('development', (i) => {
        i.target.gpu = true;
        i.services.ollama.gpus = 1;
      }),
    );
    const withGpu = synth(gpu).tf.resource.docker_container!;
    expect(withGpu.ollama.gpus).toBe('all');
    expect(withGpu.redis.gpus).toBeUndefined();
  });

  it('protects data volumes from destroy unless the environment says the data is disposable', () => {
    expect(volumes.postgres_data.lifecycle.prevent_destroy).toBe(false);
    const kept = loadEnvironment(variant('development', (i) => (i.protectData = true), 'environments/dev-protected.ts'));
    const v = synth(kept).tf.resource.docker_volume!;
    expect(v.postgres_data.lifecycle.prevent_destroy).toBe(true);
    // Re-pullable model weights are not protected.
    expect(v.ollama_models.lifecycle.prevent_destroy).toBe(false);
  });

  it('renders only enabled services', () => {
    const e = loadEnvironment(variant('development', (i) => (i.services = { redis: {}, nats: {} })));
    const r = synth(e).tf.resource;
    expect(Object.keys(r.docker_container!).sort()).toEqual(['nats', 'nats_exporter', 'redis', 'redis_exporter']);
    expect(Testing.toHaveResourceWithProperties(synth(e).text, 'docker_volume', { name: 'agent-platform-development-redis-data' })).toBe(
      true,
    );
  });

  it('orders services after their dependencies and rejects cycles', () => {
    const order = orderByDependencies(dev.specs).map((s) => s.name);
    expect(order.indexOf('kibana')).toBeGreaterThan(order.indexOf('elasticsearch'));
    const a = { ...dev.specs[0]!, name: 'a', dependsOn: ['b'] };
    const b = { ...dev.specs[0]!, name: 'b', dependsOn: ['a'] };
    expect(() => orderByDependencies([a, b])).toThrow(/dependency cycle: a -> b -> a/);
  });
});
