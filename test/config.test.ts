/**
 * Bad input is a feature: every rejected configuration names the environment file and the field
 * path, and nothing is written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { ConfigError, type EnvironmentSource } from '../environments/parse/load';
import { run } from '../stacks/cli';
import { LOCKS_DIR } from '../stacks/app';
import bootstrapFixture from './fixtures/bootstrap';
import { source, variant, scratch } from './helpers';

function problems(src: EnvironmentSource): string[] {
  try {
    prepare(src);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${e.file}: ${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error('expected the environment to be rejected');
}

/** Asserts exactly one problem is reported, at `fieldPath`, and that it says `says`. */
function rejects(src: EnvironmentSource, fieldPath: string, says: RegExp) {
  const found = problems(src);
  const match = found.filter((p) => p.startsWith(`${src.file}: ${fieldPath}: `));
  expect(match, `problems were:\n${found.join('\n')}`).toHaveLength(1);
  expect(match[0]).toMatch(says);
}

describe('the shipped environments', () => {
  it.each(['development', 'staging', 'production'] as const)('%s is valid', (name) => {
    expect(() => prepare(source(name))).not.toThrow();
  });
});

describe('rejected input names the file and the field', () => {
  it('an unknown service name', () => {
    rejects(
      variant('development', (i) => (i.services.vault = {})),
      'services.vault',
      /unknown service; the catalogue has nats, redis/,
    );
  });

  it('an unknown field inside a service', () => {
    rejects(
      variant('development', (i) => (i.services.redis.maxmemry = '1Gi')),
      'services.redis.maxmemry',
      /unknown field/,
    );
  });

  it("an environment label that takes over one of the platform's own", () => {
    rejects(
      variant('staging', (i) => (i.labels = { 'app.kubernetes.io/part-of': 'mine' })),
      'labels.app.kubernetes.io/part-of',
      /is reserved for the platform's own labels/,
    );
  });

  it('a negative replica count', () => {
    rejects(
      variant('development', (i) => (i.services.redis.replicas = -1)),
      'services.redis.replicas',
      /must be at least 1/,
    );
  });

  it('a fractional replica count', () => {
    rejects(
      variant('staging', (i) => (i.services.nats.replicas = 1.5)),
      'services.nats.replicas',
      /^.*: must be a whole number$/,
    );
  });

  it('a memory quantity that is not one (2GB for 2Gi)', () => {
    rejects(
      variant('development', (i) => (i.services.postgres.resources = { limits: { memory: '2GB' } })),
      'services.postgres.resources.limits.memory',
      /memory quantity with a binary unit, e.g. 512Mi or 2Gi/,
    );
  });

  it('a cpu quantity that is not one', () => {
    rejects(
      variant('development', (i) => (i.services.qdrant.resources = { requests: { cpu: '2 cores' } })),
      'services.qdrant.resources.requests.cpu',
      /cpu quantity/,
    );
  });

  it('a request above its limit', () => {
    rejects(
      variant('development', (i) => (i.services.qdrant.resources = { requests: { memory: '4Gi' } })),
      'services.qdrant.resources.requests.memory',
      /request 4Gi exceeds limit 1Gi/,
    );
  });

  it('an invalid CIDR (prefix out of range)', () => {
    rejects(
      variant('development', (i) => (i.target.network.subnet = '172.28.0.0/33')),
      'target.network.subnet',
      /not an IPv4 CIDR block/,
    );
  });

  it('an invalid CIDR (host bits set)', () => {
    rejects(
      variant('development', (i) => (i.target.network.subnet = '172.28.0.1/16')),
      'target.network.subnet',
      /host bits set; the network address is 172.28.0.0\/16/,
    );
  });

  it('an invalid CIDR (octet out of range) on the AWS VPC', () => {
    rejects(
      variant('production', (i) => (i.target.vpc.cidr = '10.400.0.0/16')),
      'target.vpc.cidr',
      /not an IPv4 CIDR block/,
    );
  });

  it('a gateway outside the subnet', () => {
    rejects(
      variant('development', (i) => (i.target.network.gateway = '10.0.0.1')),
      'target.network.gateway',
      /outside 172.28.0.0\/16/,
    );
  });

  it('a port out of range', () => {
    rejects(
      variant('development', (i) => (i.services.redis.hostPorts = { client: 70000 })),
      'services.redis.hostPorts.client',
      /must be at most 65535/,
    );
  });

  it('a host port for a port the service does not have', () => {
    rejects(
      variant('development', (i) => (i.services.redis.hostPorts = { admin: 16379 })),
      'services.redis.hostPorts.admin',
      /no port named "admin"; ports are client/,
    );
  });

  it('an image with no tag', () => {
    rejects(
      variant('development', (i) => (i.services.redis.image = 'redis')),
      'services.redis.image',
      /has no tag; pin an exact version/,
    );
  });

  it('an image with the latest tag', () => {
    rejects(
      variant('development', (i) => (i.services.redis.image = 'docker.io/library/redis:latest')),
      'services.redis.image',
      /"latest" tag/,
    );
  });

  it('a version override of latest', () => {
    rejects(
      variant('development', (i) => (i.services.nats.version = 'latest')),
      'services.nats.version',
      /"latest" tag is not allowed/,
    );
  });

  it('image and version together', () => {
    rejects(
      variant('development', (i) => Object.assign(i.services.nats, { image: 'nats:2.10.25-alpine', version: '2.10.25' })),
      'services.nats.version',
      /either image or version/,
    );
  });

  it('two services on the same host port: blames the edited field and names both', () => {
    rejects(
      variant('development', (i) => (i.services.qdrant.hostPorts = { http: 17379 })),
      'services.qdrant.hostPorts.http',
      /host port 17379 is published twice: by services.qdrant.hostPorts.http \(services.qdrant port http\) and by target.publish.offset \(services.redis port client\)/,
    );
  });

  it('an explicit host port that collides with a later service names both fields', () => {
    // redis comes before qdrant in the file; the explicit entry is blamed even when it came first.
    rejects(
      variant('development', (i) => (i.services.redis.hostPorts = { client: 17333 })),
      'services.redis.hostPorts.client',
      /published twice: by services.redis.hostPorts.client .* and by target.publish.offset \(services.qdrant port http\)/,
    );
  });

  it('a publishing offset that pushes a port beyond 65535', () => {
    rejects(
      variant('development', (i) => (i.target.publish = { offset: 50000 })),
      'target.publish.offset',
      /publishes services.rabbitmq port management on 65672, above 65535/,
    );
  });

  it('a GPU asked for where the environment has none', () => {
    rejects(
      variant('development', (i) => (i.services.ollama.gpus = 1)),
      'services.ollama.gpus',
      /asks for 1 GPU but environment "development" has none \(target.gpu is not set\)/,
    );
  });

  it('a GPU asked for on AWS without a GPU node pool', () => {
    rejects(
      variant('production', (i) => delete i.target.eks.gpuNodePool),
      'services.ollama.gpus',
      /has none \(target.eks.gpuNodePool is not set\)/,
    );
  });

  it('more than one instance on a single Docker host', () => {
    rejects(
      variant('development', (i) => (i.services.rabbitmq.replicas = 3)),
      'services.rabbitmq.replicas',
      /unconnected copies would not be a cluster/,
    );
  });

  it('an unknown target kind', () => {
    const found = problems(variant('development', (i) => (i.target.kind = 'nomad')));
    expect(found.some((p) => p.startsWith('test/fixtures/development.ts: target.kind: '))).toBe(true);
  });

  it('a Redis maxmemory without headroom under the limit', () => {
    rejects(
      variant('development', (i) => (i.services.redis.maxmemory = '700Mi')),
      'services.redis.maxmemory',
      /less than 20% of the 768Mi memory limit/,
    );
  });

  it('an Elasticsearch heap above half the limit', () => {
    rejects(
      variant('development', (i) => (i.services.elasticsearch.heap = '1536Mi')),
      'services.elasticsearch.heap',
      /more than half of the 2Gi/,
    );
  });

  it('PostgreSQL shared_buffers above 40% of the limit', () => {
    rejects(
      variant('development', (i) => (i.services.postgres.tuning.sharedBuffers = '1Gi')),
      'services.postgres.tuning.sharedBuffers',
      /more than 40% of the 1536Mi memory limit/,
    );
  });

  it('Kibana on a different version than Elasticsearch', () => {
    rejects(
      variant('development', (i) => (i.services.elasticsearch.kibana = { version: '8.16.0' })),
      'services.elasticsearch.kibana.version',
      /Kibana 8.16.0 must run the same version as Elasticsearch 8.19.22/,
    );
  });

  it('a model without a tag or with latest', () => {
    rejects(
      variant('development', (i) => (i.services.ollama.models = ['llama3.2'])),
      'services.ollama.models[0]',
      /must be name:tag/,
    );
    rejects(
      variant('development', (i) => (i.services.ollama.models = ['llama3.2:latest'])),
      'services.ollama.models[0]',
      /"latest" tag is not allowed/,
    );
  });

  it('an invalid bucket name', () => {
    rejects(
      variant('development', (i) => (i.services.objectstore.buckets = ['Agent_Outputs'])),
      'services.objectstore.buckets[0]',
      /lower-case letters/,
    );
  });

  it('an S3 backend in an invalid region', () => {
    rejects(
      variant('production', (i) => (i.backend.region = 'europe')),
      'backend.region',
      /AWS region/,
    );
  });

  it('a node pool whose desired size is outside min..max', () => {
    rejects(
      variant('production', (i) => (i.target.eks.systemNodePool.desired = 12)),
      'target.eks.systemNodePool.desired',
      /outside 3..9/,
    );
  });

  it('a GPU pool instance type without a GPU', () => {
    rejects(
      variant('production', (i) => (i.target.eks.gpuNodePool.instanceTypes = ['m6i.2xlarge'])),
      'target.eks.gpuNodePool.instanceTypes[0]',
      /m6i.2xlarge has no NVIDIA GPU the EKS NVIDIA AMIs support; use a GPU family \(g4dn, g5, /,
    );
  });

  it('a GPU pool mixing GPU models', () => {
    rejects(
      variant('production', (i) => (i.target.eks.gpuNodePool.instanceTypes = ['g5.2xlarge', 'g6.2xlarge'])),
      'target.eks.gpuNodePool.instanceTypes',
      /mixes GPU models \(nvidia-a10g, nvidia-l4\)/,
    );
  });

  it('an Amazon Linux 2 AMI (no longer published)', () => {
    rejects(
      variant('production', (i) => (i.target.eks.gpuNodePool.amiType = 'AL2_x86_64_GPU')),
      'target.eks.gpuNodePool.amiType',
      /stopped publishing Amazon Linux 2 AMIs on 26 Nov 2025; use one of AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA/,
    );
  });

  it('an EKS version not in the support table', () => {
    rejects(
      variant('production', (i) => (i.target.eks.version = '1.29')),
      'target.eks.version',
      /EKS 1.29 is not in the support table; known versions are 1.33, 1.34, 1.35, 1.36/,
    );
  });

  it('an EKS version without pinned add-on versions', () => {
    rejects(
      variant('production', (i) => (i.target.eks.version = '1.36')),
      'target.eks.addonVersions',
      /no pinned versions of vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver, eks-pod-identity-agent for EKS 1.36/,
    );
  });

  it('a subnet outside the VPC', () => {
    rejects(
      variant('production', (i) => (i.target.vpc.zones[1].private = '10.41.32.0/19')),
      'target.vpc.zones[1].private',
      /10.41.32.0\/19 is outside the VPC's 10.40.0.0\/16/,
    );
  });

  it('overlapping subnets', () => {
    rejects(
      variant('production', (i) => (i.target.vpc.zones[2].intra = '10.40.96.0/24')),
      'target.vpc.zones[2].intra',
      /overlaps zones\[0\].public \(10.40.96.0\/24\)/,
    );
  });

  it('a zone outside the region', () => {
    rejects(
      variant('production', (i) => (i.target.vpc.zones[0].name = 'eu-central-1a')),
      'target.vpc.zones[0].name',
      /eu-central-1a is not a zone of eu-west-1/,
    );
  });

  it('a public API endpoint open to the internet', () => {
    rejects(
      variant('production', (i) => (i.target.eks.publicAccessCidrs = ['0.0.0.0/0'])),
      'target.eks.publicAccessCidrs[0]',
      /opens the API endpoint to the whole internet/,
    );
  });

  it('an admin that is not an IAM role ARN, and no admin at all', () => {
    rejects(
      variant('production', (i) => (i.target.eks.adminRoleArns = ['platform-admin'])),
      'target.eks.adminRoleArns[0]',
      /must be an IAM role ARN/,
    );
    rejects(
      variant('production', (i) => (i.target.eks.adminRoleArns = [])),
      'target.eks.adminRoleArns',
      /needs at least one role, the one CI deploys with/,
    );
  });

  it('a managed-service switch without its mode', () => {
    rejects(
      variant('production', (i) => (i.target.managed.postgres = { instanceClass: 'db.r6g.large' })),
      'target.managed.postgres.mode',
      /mode must be 'managed' \(the AWS service\) or 'in-cluster'/,
    );
  });

  it('RDS backups kept fewer than 7 days', () => {
    rejects(
      variant('production', (i) => (i.target.managed.postgres = { mode: 'managed', backupRetentionDays: 3 })),
      'target.managed.postgres.backupRetentionDays',
      /keep at least 7 days of backups/,
    );
  });

  it('OpenSearch data nodes that do not spread over the zones', () => {
    rejects(
      variant('production', (i) => {
        i.target.managed.elasticsearch = { mode: 'managed' };
        i.services.elasticsearch = { replicas: 4 };
      }),
      'services.elasticsearch.replicas',
      /4 OpenSearch data nodes cannot spread evenly over 3 zones/,
    );
  });

  it('a bucket whose S3 name (project-environment-bucket) would be too long', () => {
    rejects(
      variant('production', (i) => (i.services.objectstore = { buckets: ['a'.repeat(40)] })),
      'services.objectstore.buckets[0]',
      /the S3 bucket name "agent-platform-production-a+-111122223333" is longer than 63 characters \(with its suffix\)/,
    );
  });

  it('a project name too long for the OpenSearch domain', () => {
    rejects(
      variant('production', (i) => {
        i.project = 'agent-platform-ai01';
        i.target.managed.elasticsearch = { mode: 'managed' };
      }),
      'project',
      /longer than 28 characters/,
    );
  });

  it('an RDS instance class the PostgreSQL major does not run on', () => {
    rejects(
      variant('production', (i) => (i.target.managed.postgres.instanceClass = 'db.m1.small')),
      'target.managed.postgres.instanceClass',
      /db\.m1\.small: RDS offers no db\.m1 class for PostgreSQL 18; use one of db\.m8g, /,
    );
    rejects(
      variant('production', (i) => (i.target.managed.postgres.instanceClass = 'db.r4.large')),
      'target.managed.postgres.instanceClass',
      /db\.r4 runs PostgreSQL 9-12 on RDS, not 18/,
    );
    rejects(
      variant('production', (i) => (i.target.managed.postgres.instanceClass = 'db.r6gd.xlarge')),
      'target.managed.postgres.instanceClass',
      /a Multi-AZ DB cluster class/,
    );
    rejects(
      variant('production', (i) => (i.target.managed.postgres.engineVersion = '12')),
      'target.managed.postgres.engineVersion',
      /RDS for PostgreSQL 12 is not in the table/,
    );
  });

  it('an ElastiCache node type of a previous generation', () => {
    rejects(
      variant('production', (i) => (i.target.managed.redis.nodeType = 'cache.m4.large')),
      'target.managed.redis.nodeType',
      /cache\.m4\.large is not a current-generation ElastiCache node type/,
    );
  });

  it('an Amazon MQ version or broker type AWS does not offer together', () => {
    rejects(
      variant('production', (i) => (i.target.managed.rabbitmq = { mode: 'managed', engineVersion: '4.2', instanceType: 'mq.m5.large' })),
      'target.managed.rabbitmq.instanceType',
      /runs RabbitMQ 4\.2 on mq\.m7g brokers only, not mq\.m5\.large/,
    );
    rejects(
      variant('production', (i) => (i.target.managed.rabbitmq = { mode: 'managed', engineVersion: '3.12' })),
      'target.managed.rabbitmq.engineVersion',
      /does not offer RabbitMQ 3\.12; it offers 4\.3, 4\.2, 3\.13/,
    );
    rejects(
      variant('production', (i) => (i.target.managed.rabbitmq = { mode: 'managed', engineVersion: '3.13', instanceType: 'mq.t3.micro' })),
      'target.managed.rabbitmq.cluster',
      /mq\.t3\.micro brokers run as a single instance only/,
    );
  });

  it('OpenSearch instance types the domain cannot use, and a standby it cannot have', () => {
    rejects(
      variant('production', (i) => (i.target.managed.elasticsearch = { mode: 'managed', instanceType: 'r6gd.large.search' })),
      'target.managed.elasticsearch.instanceType',
      /keeps data on instance storage/,
    );
    rejects(
      variant('production', (i) => (i.target.managed.elasticsearch = { mode: 'managed', masterInstanceType: 'm3.medium.search' })),
      'target.managed.elasticsearch.masterInstanceType',
      /m3\.medium\.search is not an OpenSearch Service instance type for OpenSearch 2\.x/,
    );
    rejects(
      variant('production', (i) => {
        i.profile = 'medium';
        i.target.managed.elasticsearch = { mode: 'managed', multiAzWithStandby: true };
        i.services.elasticsearch = { replicas: 2 };
      }),
      'target.managed.elasticsearch.multiAzWithStandby',
      /needs zone awareness and dedicated masters \(highAvailability\), data nodes in a multiple of three/,
    );
  });

  it('a pod that needs more than a node of its pool has', () => {
    rejects(
      variant('production', (i) => (i.services.ollama.gpus = 4)),
      'services.ollama.gpus',
      /one ollama pod requests 4 GPUs; g5\.2xlarge nodes \(target\.eks\.gpuNodePool\) have 7\.91 cpu, 28\.6Gi memory and 1 GPU for pods, so it could never be scheduled/,
    );
    rejects(
      variant(
        'production',
        (i) => (i.services.ollama.resources = { requests: { cpu: '4', memory: '30Gi' }, limits: { cpu: '7', memory: '30Gi' } }),
      ),
      'services.ollama.resources',
      /one ollama pod requests 30\.1Gi memory/,
    );
    rejects(
      variant('production', (i) => (i.target.eks.systemNodePool.instanceTypes = ['m6i.large'])),
      'services.elasticsearch.resources',
      /one elasticsearch-data pod requests 2 cpu, 8Gi memory; m6i\.large nodes \(target\.eks\.systemNodePool\) have 1\.93 cpu, 6\.7Gi memory for pods/,
    );
  });

  it('node pools: Graviton types on x86_64 AMIs, a zone outside the VPC, fewer nodes than zones, a release of another version', () => {
    rejects(
      variant('production', (i) => (i.target.eks.systemNodePool.instanceTypes = ['m7g.2xlarge'])),
      'target.eks.systemNodePool.instanceTypes[0]',
      /m7g\.2xlarge is an arm64 \(Graviton\) type; the pool's AMI \(AL2023_x86_64_STANDARD\) is x86_64/,
    );
    rejects(
      variant('production', (i) => (i.target.eks.gpuNodePool.zones = ['eu-west-1a', 'eu-west-1d'])),
      'target.eks.gpuNodePool.zones[1]',
      /eu-west-1d is not one of target\.vpc\.zones/,
    );
    rejects(
      variant('production', (i) => (i.target.eks.gpuNodePool.max = 2)),
      'target.eks.gpuNodePool.max',
      /max 2 leaves a zone's node group without a node \(one group per zone, 3 zones/,
    );
    rejects(
      variant('production', (i) => (i.target.eks.systemNodePool.releaseVersion = '1.34.2-20260724')),
      'target.eks.systemNodePool.releaseVersion',
      /1\.34\.2-20260724 is not an AL2023 release of Kubernetes 1\.35/,
    );
  });

  it('bucket names with the account id when no account id is configured', () => {
    rejects(
      variant('production', (i) => {
        delete i.target.accountId;
        i.target.managed.objectstore = { mode: 'managed', bucketSuffix: 'account-id' };
      }),
      'target.managed.objectstore.bucketSuffix',
      /'account-id' needs target\.accountId/,
    );
  });

  it('reports every problem of a file at once', () => {
    const found = problems(
      variant('development', (i) => {
        i.target.network.subnet = '300.0.0.0/8';
        i.services.redis.replicas = -2;
        i.services.vault = {};
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^test\/fixtures\/development\.ts: target.network.subnet: /),
        expect.stringMatching(/^test\/fixtures\/development\.ts: services.redis.replicas: /),
        expect.stringMatching(/^test\/fixtures\/development\.ts: services.vault: /),
      ]),
    );
  });

  it('a disabled service is not validated or built', () => {
    const e = prepare(variant('development', (i) => (i.services.neo4j = { enabled: false, replicas: -5 })));
    expect(e.specs.map((s) => s.name)).not.toContain('neo4j');
  });
});

describe('settings and mistakes the loader used to miss (issue 5, point 10)', () => {
  it('host ports on a target that publishes none are refused, not dropped', () => {
    rejects(
      variant('staging', (i) => (i.services.redis.hostPorts = { client: 6379 })),
      'services.redis.hostPorts.client',
      /published by the docker target only; this environment runs on kubernetes/,
    );
  });

  it('MinIO on a cluster target (its metrics token is shared through a volume only Docker can share)', () => {
    rejects(
      variant('staging', (i) => (i.services.objectstore = { engine: 'minio' })),
      'services.objectstore.engine',
      /minio runs on a single host only: .* use engine: garage on a cluster/,
    );
  });

  it('an environment whose name differs from its file name', () => {
    rejects(
      variant('staging', (i) => (i.name = 'stage')),
      'name',
      /"stage" differs from the file name; .* rename the file to test\/fixtures\/stage.ts or set name: 'staging'/,
    );
  });

  it('two environments sharing one state bucket and key: names both files', () => {
    const err: string[] = [];
    const copy = variant('staging', (i) => (i.backend.key = 'production/terraform.tfstate'));
    const code = run([source('production'), copy], scratch('state-') + '/out', {
      out: () => {},
      err: (l) => err.push(l),
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain(
      'test/fixtures/staging.ts: backend.key: state s3://agent-platform-terraform-state/production/terraform.tfstate is already used by test/fixtures/production.ts',
    );
  });

  it('sizes of zero', () => {
    rejects(
      variant('development', (i) => (i.services.redis.persistence = { size: '0Gi' })),
      'services.redis.persistence.size',
      /must be more than zero/,
    );
    rejects(
      variant('development', (i) => (i.services.qdrant.resources = { limits: { cpu: '0' } })),
      'services.qdrant.resources.limits.cpu',
      /must be more than zero/,
    );
  });

  it('cpu quantities that are plainly millicores written as cores', () => {
    rejects(
      variant('development', (i) => (i.services.qdrant.resources = { requests: { cpu: 250 } })),
      'services.qdrant.resources.requests.cpu',
      /250 would be 250 cores; for millicores write "250m"/,
    );
  });

  it('replicas above 1 for a service that cannot cluster (Neo4j Community)', () => {
    rejects(
      variant('staging', (i) => (i.services.neo4j.replicas = 3)),
      'services.neo4j.replicas',
      /Neo4j Community runs as one standalone server .* use 1/,
    );
  });

  it('tolerations that Kubernetes would reject', () => {
    const withToleration = (t: object) => variant('staging', (i) => (i.target.gpu.tolerations = [t]));
    rejects(
      withToleration({ key: 'nvidia.com/gpu', operator: 'Exists', value: 'true' }),
      'target.gpu.tolerations[0].value',
      /must be empty when operator is Exists/,
    );
    rejects(withToleration({ operator: 'Equal', value: 'x' }), 'target.gpu.tolerations[0].operator', /must be Exists when key is empty/);
    rejects(
      withToleration({ key: 'gpu', effect: 'NoSchedule', tolerationSeconds: 30 }),
      'target.gpu.tolerations[0].tolerationSeconds',
      /only valid with effect NoExecute/,
    );
    rejects(withToleration({ key: 'bad key!' }), 'target.gpu.tolerations[0].key', /must be a label key/);
  });

  it("a subnet too small for the environment's containers", () => {
    rejects(
      variant('development', (i) => (i.target.network.subnet = '172.28.0.0/28')),
      'target.network.subnet',
      /172.28.0.0\/28 has room for 13 containers besides the gateway; this environment runs \d+/,
    );
  });

  it('a gateway on the network address', () => {
    rejects(
      variant('development', (i) => (i.target.network.gateway = '172.28.0.0')),
      'target.network.gateway',
      /network or broadcast address/,
    );
  });
});

describe('messages in plain words', () => {
  it('a missing field is "required"', () => {
    rejects(
      variant('staging', (i) => delete i.target.cluster.context),
      'target.cluster.context',
      /^test\/fixtures\/staging\.ts: target.cluster.context: required$/,
    );
  });

  it('a fraction where a whole number belongs', () => {
    rejects(
      variant('development', (i) => (i.services.postgres.tuning.maxConnections = 99.5)),
      'services.postgres.tuning.maxConnections',
      /^.*: must be a whole number$/,
    );
  });

  it('a wrongly capitalised service name gets a suggestion', () => {
    rejects(
      variant('development', (i) => (i.services.Redis = {})),
      'services.Redis',
      /^.*: unknown service; did you mean redis\?$/,
    );
  });

  it('a misspelt field gets a suggestion', () => {
    rejects(
      variant('development', (i) => (i.services.redis.maxmemroy = '1Gi')),
      'services.redis.maxmemroy',
      /unknown field; did you mean maxmemory\?/,
    );
    rejects(
      variant('development', (i) => (i.target.netwrok = {})),
      'target.netwrok',
      /unknown field; did you mean network\?/,
    );
  });

  it('a wrong choice lists the choices and suggests one', () => {
    rejects(
      variant('development', (i) => (i.services.redis.maxmemoryPolicy = 'allkeys-lru ')),
      'services.redis.maxmemoryPolicy',
      /must be one of .*"allkeys-lru".*; did you mean "allkeys-lru"\?/,
    );
    rejects(
      variant('development', (i) => (i.target.kind = 'Docker')),
      'target.kind',
      /must be one of "docker", "kubernetes", "aws"; did you mean "docker"\?/,
    );
  });

  it('a wrong type says what to write', () => {
    rejects(
      variant('development', (i) => (i.protectData = 'yes')),
      'protectData',
      /must be true or false, not the text "yes"/,
    );
  });
});

describe('valid input that used to be refused is accepted', () => {
  const accepts = (src: EnvironmentSource) => expect(() => prepare(src)).not.toThrow();

  it('a digest-only image', () => {
    accepts(variant('development', (i) => (i.services.redis.image = `redis@sha256:${'a'.repeat(64)}`)));
  });

  it('a model name with a registry path', () => {
    accepts(variant('development', (i) => (i.services.ollama.models = ['hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M'])));
  });

  it('a toleration without an effect', () => {
    accepts(variant('staging', (i) => (i.target.gpu.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists' }])));
  });

  it('label keys with capitals and a prefix', () => {
    accepts(variant('staging', (i) => (i.labels = { 'example.com/CostCenter': 'AI-1', Team: 'Platform' })));
  });

  it('Go durations such as 1h30m and 0', () => {
    accepts(variant('development', (i) => (i.services.ollama.keepAlive = '1h30m')));
    accepts(variant('development', (i) => (i.services.ollama.keepAlive = '0')));
  });
});

describe('the command line', () => {
  const temporary: string[] = [];
  afterAll(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  function tempProject() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-cli-'));
    temporary.push(dir);
    const outdir = path.join(dir, 'cdktf.out');
    fs.mkdirSync(path.join(outdir, 'stacks', 'development', '.terraform'), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'manifest.json'), '{"previous":true}');
    fs.writeFileSync(path.join(outdir, 'stacks', 'development', 'cdk.tf.json'), '{"previous":true}');
    fs.writeFileSync(path.join(outdir, 'stacks', 'development', '.terraform.lock.hcl'), '# lock');
    return { dir, outdir };
  }
  const snapshot = (dir: string) =>
    fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => {
        const p = path.join(d.parentPath, d.name);
        return `${path.relative(dir, p)}=${fs.readFileSync(p, 'utf8')}`;
      })
      .sort();

  it('exits non-zero, names file and field, and leaves the output directory as it was', () => {
    const { dir, outdir } = tempProject();
    const before = snapshot(dir);
    const out: string[] = [];
    const err: string[] = [];
    const bad = variant('staging', (i) => (i.services.redis.replicas = -1));
    const code = run([source('development'), bad, source('production')], outdir, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('test/fixtures/staging.ts: services.redis.replicas:');
    expect(err.join('\n')).toContain(`nothing was written to ${outdir}`);
    expect(out).toEqual([]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('on success replaces the synthesized files, keeps Terraform files, installs the committed lock files, and prints a summary', () => {
    const { dir, outdir } = tempProject();
    const out: string[] = [];
    const err: string[] = [];
    const bootstrap = { file: 'test/fixtures/bootstrap.ts', input: bootstrapFixture };
    const code = run(
      [source('development'), source('staging'), source('production')],
      outdir,
      { out: (l) => out.push(l), err: (l) => err.push(l) },
      { bootstrap },
    );
    expect(code).toBe(0);
    const heads = out.filter((l) => /^\S/.test(l) && !l.startsWith('note:'));
    expect(heads.slice(0, 4)).toEqual([
      `development  (docker)  ${outdir}/stacks/development/cdk.tf.json`,
      `staging  (kubernetes)  ${outdir}/stacks/staging/cdk.tf.json`,
      `production  (aws)  ${outdir}/stacks/production/cdk.tf.json`,
      `bootstrap  (aws, account 111122223333, once per account)  ${outdir}/stacks/bootstrap/cdk.tf.json`,
    ]);
    expect(out).toContainEqual(expect.stringMatching(/^synthesized 4 stacks in \d+ ms$/));
    // Who enforces the network policies: the cluster's CNI on staging, the stack's vpc-cni on AWS.
    expect(out).toContainEqual(
      expect.stringMatching(/^note: staging: \d+ NetworkPolicies; this stack relies on the cluster's CNI to enforce them/),
    );
    expect(out).toContainEqual(
      expect.stringMatching(
        /^note: production: \d+ NetworkPolicies, enforced by the vpc-cni add-on this stack configures \(enableNetworkPolicy\)$/,
      ),
    );
    // What does not fit the bootstrap is a warning naming the file and field.
    expect(err).toContainEqual(
      expect.stringMatching(/^warning: test\/fixtures\/production\.ts: target\.eks\.viewRoleArns: does not list the plan role/),
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.stacks).sort()).toEqual(['bootstrap', 'development', 'production', 'staging']);
    // The committed lock file replaces one that lacks its hashes; Terraform's directory stays.
    expect(fs.readFileSync(path.join(outdir, 'stacks', 'development', '.terraform.lock.hcl'), 'utf8')).toBe(
      fs.readFileSync(path.join(LOCKS_DIR, 'development.terraform.lock.hcl'), 'utf8'),
    );
    expect(fs.existsSync(path.join(outdir, 'stacks', 'development', '.terraform'))).toBe(true);
    const dev = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'development', 'cdk.tf.json'), 'utf8'));
    expect(dev.resource).toBeDefined();
    // Directory uploads read their (empty) content from a file next to the stack, where Terraform runs.
    const sources = new Set(
      Object.values<any>(dev.resource.docker_container)
        .flatMap((c) => (c.upload ?? []).map((u: any) => u.source))
        .filter(Boolean),
    );
    expect(sources.size).toBe(1);
    for (const s of sources) expect(fs.readFileSync(path.join(outdir, 'stacks', 'development', s as string), 'utf8')).toBe('');
    // No staging directory is left behind.
    expect(fs.readdirSync(dir)).toEqual(['cdktf.out']);
  });

  it('warns when an environment runs an archived object-store engine', () => {
    const err: string[] = [];
    const minio = variant('development', (i) => (i.services.objectstore = { engine: 'minio' }));
    expect(run([minio], scratch('minio-') + '/out', { out: () => {}, err: (l) => err.push(l) })).toBe(0);
    expect(err).toContain(
      'warning: test/fixtures/development.ts: services.objectstore.engine: runs MinIO (repository archived April 2026; its last image predates the fix for CVE-2025-62506); move to engine: garage (docs/operations.md, "Object store")',
    );
  });

  it('rejects two environments with the same name', () => {
    const err: string[] = [];
    const twin = variant('development', () => {}, 'environments/copies/development.ts');
    const code = run([source('development'), twin], scratch('twin-') + '/out', {
      out: () => {},
      err: (l) => err.push(l),
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain(
      'environments/copies/development.ts: name: environment "development" is also defined in test/fixtures/development.ts (name)',
    );
  });
});
