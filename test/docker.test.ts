/** Every service on the Docker target, asserted on the synthesized Terraform JSON. */
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { Testing } from '../constructs/providers/cdktf';
import { imageName } from '../constructs/spec/image';
import { CPU_PERIOD_US, cpuQuotaMicros, goDuration, memoryMebibytes } from '../constructs/spec/quantity';
import { orderByDependencies } from '../constructs/targets/order';
import { containerAddress } from '../constructs/targets/docker/addressing';
import { dockerChecks } from '../constructs/targets/docker/checks';
import { escapeLiteral } from '../constructs/render/terraform';
import { dockerSpec } from '../constructs/render/docker/monitoring';
import { withScheduledBackup } from '../constructs/targets/docker/backup';
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
  it('declares the docker, random and tls providers (keys and the internal CA) and a local backend outside cdktf.out', () => {
    expect(Object.keys(tf.provider!).sort()).toEqual(['docker', 'random', 'tls']);
    // No host unless the environment sets one: the provider's own default (DOCKER_HOST) stands.
    expect(tf.provider!.docker[0]).toEqual({});
    expect(tf.terraform.backend).toEqual({ local: { path: '../../../terraform.development.tfstate' } });
    expect(tf.terraform.required_providers.docker).toEqual({ source: 'kreuzwerker/docker', version: '3.6.2' });
  });

  it('puts everything on one bridge network on 172.28.0.0/16', () => {
    expect(tf.resource.docker_network).toEqual({
      network: expect.objectContaining({
        name: 'agent-platform-development',
        driver: 'bridge',
        // The gateway is explicit: a subnet-only block is replaced after a daemon restart (#54).
        ipam_config: [{ subnet: '172.28.0.0/16', gateway: '172.28.0.1' }],
      }),
    });
    // By id: a replaced network (a new subnet) replaces its containers instead of failing on "active endpoints".
    for (const c of Object.values(containers)) {
      expect(c.networks_advanced).toEqual([expect.objectContaining({ name: '${docker_network.network.id}' })]);
    }
  });

  it('publishes host ports on 127.0.0.1 only, and never metrics or cluster ports', () => {
    const published = Object.values(containers).flatMap((c: any) => c.ports ?? []);
    expect(published.length).toBeGreaterThan(10);
    for (const p of published) expect(p.ip).toBe('127.0.0.1');
    const externals = published.map((p: any) => p.external);
    expect(new Set(externals).size).toBe(externals.length);
    for (const port of [7777, 9121, 9187, 9114, 9115, 15692, 9300, 3901]) expect(externals).not.toContain(port);
  });

  it('contains no literal default credential and no latest tag anywhere', () => {
    for (const bad of DEFAULT_CREDENTIALS) expect(text.toLowerCase()).not.toContain(bad);
    expect(text).not.toMatch(/:latest"/);
  });

  it('marks the credentials output sensitive and exposes endpoints', () => {
    expect(tf.output!.credentials.sensitive).toBe(true);
    expect(tf.output!.credentials.value['postgres/password']).toBe('${random_password.postgres_password.result}');
    expect(tf.output!.endpoints.value.redis.client).toEqual({ internal: 'redis:6379', host: '127.0.0.1:17379' });
    // Answers without credentials: not published by default.
    expect(tf.output!.endpoints.value.ollama.http).toEqual({ internal: 'ollama:11434' });
    expect(tf.output!.endpoints.value.nats.monitoring).toEqual({ internal: 'nats:8222' });
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

// Each spec as the target runs it (the monitoring stack's target files added, and its scheduled backup's containers).
describe.each(dev.specs.map((s) => [s.name, dockerSpec(withScheduledBackup(s, dev.specs), dev.specs)] as const))(
  '%s on Docker',
  (name, spec) => {
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

        it('has a health check running the spec command, with durations in Go form', () => {
          expect(rc.healthcheck.test).toEqual(['CMD', ...c.health.exec.map(escapeLiteral)]);
          expect(rc.healthcheck).toMatchObject({
            interval: goDuration(c.health.intervalSeconds),
            timeout: goDuration(c.health.timeoutSeconds),
            start_period: goDuration(c.health.startPeriodSeconds),
            retries: c.health.retries,
          });
        });

        it('has memory and cpu limits from the spec, without swap, the cpu limit as a CFS quota', () => {
          expect(rc.memory).toBe(memoryMebibytes(c.resources.limits.memory));
          expect(rc.memory_swap).toBe(rc.memory);
          expect(rc.cpu_period).toBe(CPU_PERIOD_US);
          expect(rc.cpu_quota).toBe(cpuQuotaMicros(c.resources.limits.cpu));
          expect(rc.cpus).toBeUndefined();
        });

        it('restarts unless stopped, waits to be healthy, and logs to the rotating local driver', () => {
          expect(rc).toMatchObject({ restart: 'unless-stopped', must_run: true, wait: true, log_driver: 'local' });
          expect(rc.log_opts).toBeUndefined();
          // No process gains privileges, except where the spec says why (Postfix's setgid postdrop),
          // and a privileged container gets exactly its declared capabilities.
          if (c.privileges?.privilegeEscalation) expect(rc.security_opts).toBeUndefined();
          else expect(rc.security_opts).toContain('no-new-privileges:true');
          expect(rc.capabilities).toEqual(
            c.privileges ? { drop: ['ALL'], add: c.privileges.capabilities.map((x) => `CAP_${x}`) } : undefined,
          );
          expect(rc.destroy_grace_seconds).toBe(c.stopGracePeriodSeconds);
        });

        it('runs as its declared user, or as root (0:0, stated) where the image drops privileges itself', () => {
          expect(rc.user).toBe(c.startsAsRoot ? '0:0' : c.user);
        });

        it('receives secrets only in files (0440 or 0400), none in its environment or command', () => {
          // A generated value, or a hash computed from one (`${sha256(random_password...)}`, RabbitMQ's salted hash), or a key.
          const generated = /\$\{[^}]*(random_(password|bytes)|tls_private_key)\.[^}]*(result|hex|private_key|bcrypt)/;
          for (const [k, v] of Object.entries(envMap(rc))) {
            expect(v, k).not.toMatch(generated);
            expect(SECRET_ENV.test(k), k).toBe(false);
          }
          expect(JSON.stringify([rc.entrypoint ?? [], rc.command ?? []])).not.toMatch(generated);
          for (const u of rc.upload) if (generated.test(u.content)) expect(['0440', '0400'], u.file).toContain(u.permissions);
        });

        it('reads root-owned secret files through the root group when it does not start as root', () => {
          const secretFiles = rc.upload.some((u: any) =>
            /\$\{[^}]*(random_(password|bytes)\.|tls_private_key\.[^}]*private_key)/.test(u.content),
          );
          expect(rc.group_add).toEqual(secretFiles && !c.startsAsRoot && !c.privileges?.root ? ['0'] : undefined);
        });

        it('gets its config files written in from the spec (and its certificates and trusted CAs from the target), not bind-mounted (host paths only where the spec says why)', () => {
          const certificates = (spec.certificates ?? [])
            .filter((x) => x.container === c.name)
            .flatMap((x) => [x.paths.certificate, x.paths.key]);
          expect(rc.upload.map((u: any) => u.file)).toEqual([
            ...c.files.map((f) => f.path),
            ...certificates,
            ...(c.trusts ?? []).map((t) => t.path),
          ]);
          for (const u of rc.upload) expect(u.content.length).toBeGreaterThan(0);
          expect(rc.mounts).toEqual(
            c.host?.mounts?.map((m) => ({
              type: 'bind',
              source: m.hostPath,
              target: m.path,
              read_only: true,
              ...(m.propagation ? { bind_options: { propagation: m.propagation } } : {}),
            })),
          );
          if (c.host) expect(rc.labels).toContainEqual({ label: 'platform.host-access', value: c.host.reason });
          for (const v of rc.volumes ?? []) expect(v.host_path).toBeUndefined();
        });
      });
    }

    it('keeps each persistent volume on a named docker_volume, mounted where the spec says', () => {
      for (const v of spec.volumes) {
        const volume = volumes[`${name}_${v.name}`];
        expect(volume.name).toBe(`agent-platform-development-${name}-${v.name}`);
        for (const c of spec.containers) {
          for (const m of c.mounts.filter((x) => x.volume === v.name && !x.service)) {
            expect(containers[containerAddress(name, c.name)].volumes).toContainEqual({
              volume_name: `\${docker_volume.${name}_${v.name}.name}`,
              container_path: m.path,
              read_only: m.readOnly ?? false,
            });
          }
        }
      }
    });

    it('starts after the services it depends on (their main container and setup jobs; a background job runs on)', () => {
      const setupJob = (c: any) => c.labels.some((l: any) => l.label === 'platform.job' && l.value === 'setup');
      for (const dep of spec.dependsOn) {
        expect(main.depends_on).toContain(`docker_container.${dep}`);
        for (const [k, c] of Object.entries(containers)) {
          if (!k.startsWith(`${dep}_job_`) || !isJob(c)) continue;
          if (setupJob(c)) expect(main.depends_on).toContain(`docker_container.${k}`);
          else expect(main.depends_on).not.toContain(`docker_container.${k}`);
        }
      }
    });
  },
);

describe('Docker specifics', () => {
  it('escapes template syntax so Terraform passes it through verbatim', () => {
    const apply = containers['postgres_job_apply-roles'].upload.find((u: any) => u.file === '/usr/local/bin/apply-roles.sh').content;
    expect(apply).toContain('export PGHOST="$${PGHOST:-/var/run/postgresql}"');
    const kibanaYml = containers.kibana.upload.find((u: any) => u.file.endsWith('kibana.yml')).content as string;
    expect(kibanaYml).toContain('elasticsearch.password: "${random_password.elasticsearch_kibana-system-password.result}"');
    expect(escapeLiteral('a ${b} %{c} $d')).toBe('a $${b} %%{c} $d');
  });

  it('runs setup jobs to completion after the service is healthy, failing the apply if they fail, without logs in state', () => {
    for (const key of ['garage_job_setup', 'elasticsearch_job_setup-security', 'postgres_job_apply-roles']) {
      const job = containers[key];
      expect(job, key).toMatchObject({ attach: true, logs: false, must_run: false, restart: 'no' });
      expect(job.lifecycle.postcondition[0].condition).toBe('${self.exit_code == 0}');
      expect(job.lifecycle.replace_triggered_by).toEqual([`docker_container.${key.split('_job_')[0]}`]);
      expect(job.depends_on[0]).toBe(`docker_container.${key.split('_job_')[0]}`);
      expect(job.memory).toBeGreaterThan(0);
    }
  });

  it('jobs that hold secret files run as their user in the root group and delete them when they end, from a directory their uploads create', () => {
    let seen = 0;
    for (const spec of dev.specs) {
      for (const job of spec.jobs) {
        const rc = containers[`${spec.name}_job_${job.name}`];
        expect(rc.user, job.name).toBe(job.startsAsRoot ? '0:0' : job.user);
        const uploaded = rc.upload.filter((u: any) => /\$\{random_(password|bytes)\./.test(u.content)).map((u: any) => u.file);
        if (uploaded.length === 0) {
          expect(rc.entrypoint.length, job.name).toBe(job.command.length);
          expect(
            rc.upload.some((u: any) => u.file.endsWith('/')),
            job.name,
          ).toBe(false);
          continue;
        }
        seen++;
        if (!job.startsAsRoot) expect(rc.group_add, job.name).toEqual(['0']);
        // The first upload is the directory they sit in, group-writable: a directory entry with empty content.
        expect(rc.upload[0]).toEqual({ file: '/run/secrets/', source: expect.stringMatching(/^assets\/.+\/empty$/), permissions: '0770' });
        for (const f of uploaded) expect(f).toMatch(/^\/run\/secrets\/[^/]+$/);
        expect(rc.entrypoint.slice(0, 2)).toEqual(['/bin/sh', '-c']);
        expect(rc.entrypoint[2]).toBe(`trap 'rm -f ${uploaded.join(' ')}' EXIT; "$@"`);
        expect(rc.entrypoint[3]).toBe('with-secrets');
        expect(rc.entrypoint.length).toBe(4 + job.command.length);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });

  it('refuses a job secret file outside /run/secrets (the only directory created for the job to delete from)', () => {
    const e = env('development');
    const garage = e.specs.find((s) => s.name === 'garage')!;
    const job = garage.jobs[0]!;
    const moved = {
      ...garage,
      jobs: [{ ...job, files: job.files.map((f) => (f.path.endsWith('admin-token') ? { ...f, path: '/etc/garage/admin-token' } : f)) }],
    };
    expect(dockerChecks({ ...e, specs: e.specs.map((s) => (s === garage ? moved : s)) })).toEqual([
      {
        path: 'services.objectstore',
        message: expect.stringMatching(/^job setup: secret file \/etc\/garage\/admin-token must be in \/run\/secrets on the docker target/),
      },
    ]);
  });

  it('starts long model downloads in the background: no 20-minute create wait, no state, resumable', () => {
    const pull = containers['ollama_job_pull-models'];
    expect(pull).toMatchObject({ attach: false, logs: false, must_run: false, restart: 'on-failure', max_retry_count: 5 });
    expect(pull.lifecycle.postcondition).toBeUndefined();
    expect(pull.entrypoint[2]).toContain('exec timeout 7200');
  });

  it('every workload waits for the job that sets the credentials it uses', () => {
    expect(containers.elasticsearch_exporter.depends_on).toEqual([
      'docker_container.elasticsearch',
      'docker_container.elasticsearch_job_setup-security',
    ]);
    expect(containers.postgres_exporter.depends_on).toEqual(['docker_container.postgres', 'docker_container.postgres_job_apply-roles']);
    // Kibana (another service) waits for Elasticsearch's main container and its setup job.
    expect(containers.kibana.depends_on).toEqual(
      expect.arrayContaining(['docker_container.elasticsearch', 'docker_container.elasticsearch_job_setup-security']),
    );
    // The bucket job's key is what clients use: nothing in the environment waits on it yet, but it waits for Garage.
    expect(containers.garage_job_setup.depends_on).toEqual(['docker_container.garage']);
  });

  it('gives PostgreSQL a 256 MiB /dev/shm', () => {
    expect(containers.postgres.shm_size).toBe(256);
  });

  it('sidecars start after their main container and reach it by its alias', () => {
    expect(containers.redis_exporter.depends_on).toEqual(['docker_container.redis']);
    expect(envMap(containers.redis_exporter).REDIS_ADDR).toBe('redis://redis:6379');
    expect(containers.postgres_exporter.labels).toContainEqual({ label: 'prometheus.io/port', value: '9187' });
  });

  it('gives Ollama all of the host GPUs only when the environment has them, and refuses any other count', () => {
    expect(containers.ollama.gpus).toBeUndefined();
    const gpu = prepare(
      variant('development', (i) => {
        i.target.gpu = 2;
        i.services.ollama.gpus = 2;
      }),
    );
    const withGpu = synth(gpu).tf.resource.docker_container!;
    expect(withGpu.ollama.gpus).toBe('all');
    expect(withGpu.redis.gpus).toBeUndefined();
    expect(() =>
      prepare(
        variant('development', (i) => {
          i.target.gpu = 2;
          i.services.ollama.gpus = 1;
        }),
      ),
    ).toThrow(
      /services\.ollama\.gpus: asks for 1 GPU, but on the docker target a container gets all 2 of the host's \(target\.gpu\): .* reads any GPU request back as "all"/,
    );
  });

  it('protects data volumes from destroy unless the environment says the data is disposable', () => {
    expect(volumes.postgres_data.lifecycle.prevent_destroy).toBe(false);
    const kept = prepare(variant('development', (i) => (i.protectData = true)));
    const v = synth(kept).tf.resource.docker_volume!;
    expect(v.postgres_data.lifecycle.prevent_destroy).toBe(true);
    // Re-pullable model weights are not protected.
    expect(v.ollama_models.lifecycle.prevent_destroy).toBe(false);
  });

  it('renders only enabled services', () => {
    const e = prepare(variant('development', (i) => (i.services = { redis: {}, nats: {} })));
    const r = synth(e).tf.resource;
    // The services' containers, and the default consumer's publish job (what it receives from those two).
    expect(Object.keys(r.docker_container!).sort()).toEqual([
      'consumer-apps_job_publish',
      'nats',
      'nats_exporter',
      'redis',
      'redis_exporter',
    ]);
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
