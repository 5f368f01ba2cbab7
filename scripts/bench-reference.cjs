/**
 * The bench's reference synthesis (`npm run bench`, scripts/bench.ts): a fixed cdktf program that
 * does the kind of work `npm run synth` does — it loads cdktf and the provider bindings' per-resource
 * submodules the stacks use, builds about 670 resources in four stacks (Docker, Kubernetes, AWS with
 * Kubernetes, and a small AWS one) with references between them, resolves them and writes the
 * Terraform JSON — and none of this project's code.
 *
 * Why: a ratio to a yardstick cancels the machine's speed only where the yardstick's work is like
 * the measured program's. A bare import of `@cdktf/provider-aws` is mostly compiling and reading
 * files; a synthesis is half that and half building objects and collecting garbage. Machines differ
 * in how fast they do each: on 2026-12-04 a new CI machine loaded the bindings 1.9x as fast as the
 * one before it and synthesized 1.5x as fast, so the synth / import ratio moved from 0.43x to 0.55x
 * with no change to the code. Against this program it does not move that way, because both sides
 * move alike.
 *
 * Frozen: edit it only with a dependency upgrade (then measure the baseline again, in the same
 * commit: scripts/bench-baseline.json).
 *
 * Usage: node scripts/bench-reference.cjs [outdir] [--copies=N] (CDKTF_OUTDIR also works; default:
 * a folder in the system's temporary folder, removed after). `--copies=N` builds the four stacks N
 * times: the scale part compares 50 environments, mostly building and resolving, with as much work of
 * that kind.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { App, TerraformStack, Fn } = require('cdktf');
const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
const { Container } = require('@cdktf/provider-docker/lib/container');
const { Image } = require('@cdktf/provider-docker/lib/image');
const { Volume } = require('@cdktf/provider-docker/lib/volume');
const { Network } = require('@cdktf/provider-docker/lib/network');
const { RandomProvider } = require('@cdktf/provider-random/lib/provider');
const { Password } = require('@cdktf/provider-random/lib/password');
const { KubernetesProvider } = require('@cdktf/provider-kubernetes/lib/provider');
const { NamespaceV1 } = require('@cdktf/provider-kubernetes/lib/namespace-v1');
const { SecretV1 } = require('@cdktf/provider-kubernetes/lib/secret-v1');
const { ConfigMapV1 } = require('@cdktf/provider-kubernetes/lib/config-map-v1');
const { StatefulSetV1 } = require('@cdktf/provider-kubernetes/lib/stateful-set-v1');
const { ServiceV1 } = require('@cdktf/provider-kubernetes/lib/service-v1');
const { NetworkPolicyV1 } = require('@cdktf/provider-kubernetes/lib/network-policy-v1');
const { HelmProvider } = require('@cdktf/provider-helm/lib/provider');
const { Release } = require('@cdktf/provider-helm/lib/release');
const { AwsProvider } = require('@cdktf/provider-aws/lib/provider');
const { Vpc } = require('@cdktf/provider-aws/lib/vpc');
const { Subnet } = require('@cdktf/provider-aws/lib/subnet');
const { SecurityGroup } = require('@cdktf/provider-aws/lib/security-group');
const { VpcSecurityGroupIngressRule } = require('@cdktf/provider-aws/lib/vpc-security-group-ingress-rule');
const { IamRole } = require('@cdktf/provider-aws/lib/iam-role');
const { IamRolePolicy } = require('@cdktf/provider-aws/lib/iam-role-policy');
const { EksCluster } = require('@cdktf/provider-aws/lib/eks-cluster');
const { EksNodeGroup } = require('@cdktf/provider-aws/lib/eks-node-group');
const { LaunchTemplate } = require('@cdktf/provider-aws/lib/launch-template');
const { S3Bucket } = require('@cdktf/provider-aws/lib/s3-bucket');
const { S3BucketPolicy } = require('@cdktf/provider-aws/lib/s3-bucket-policy');
const { DbInstance } = require('@cdktf/provider-aws/lib/db-instance');

const SERVICES = 24;
const ZONES = ['a', 'b', 'c'];

/**
 * A service's pods, as a stateful set with its config, secret, service and policy.
 * @param {import('constructs').Construct} scope
 * @param {NamespaceV1} ns
 * @param {number} i
 * @param {Password} password
 */
function workload(scope, ns, i, password) {
  const name = `svc${i}`;
  const labels = { app: name, tier: i % 2 ? 'data' : 'app', 'managed-by': 'reference' };
  const secret = new SecretV1(scope, `${name}-secret`, {
    metadata: { name: `${name}-auth`, namespace: ns.metadata.name, labels },
    data: { password: password.result, 'url.txt': `postgres://user:${password.result}@${name}:5432/db` },
  });
  const config = new ConfigMapV1(scope, `${name}-config`, {
    metadata: { name: `${name}-config`, namespace: ns.metadata.name, labels },
    data: { [`${name}.conf`]: Array.from({ length: 40 }, (_, k) => `setting_${k} = ${k * i}`).join('\n') },
  });
  new StatefulSetV1(scope, `${name}-sts`, {
    metadata: { name, namespace: ns.metadata.name, labels },
    spec: {
      serviceName: name,
      replicas: String(1 + (i % 3)),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels, annotations: { 'checksum/config': Fn.sha256(Fn.jsonencode(config.data)) } },
        spec: {
          serviceAccountName: 'default',
          securityContext: { runAsNonRoot: true, runAsUser: '1000', fsGroup: '1000', seccompProfile: { type: 'RuntimeDefault' } },
          container: [
            {
              name,
              image: `registry.example/${name}:1.${i}.0`,
              args: ['--config', `/etc/${name}/${name}.conf`],
              port: [{ name: 'client', containerPort: 5000 + i }],
              env: [
                { name: 'PASSWORD_FILE', value: '/run/secrets/password' },
                { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
              readinessProbe: { tcpSocket: [{ port: String(5000 + i) }], periodSeconds: 10 },
              livenessProbe: { exec: { command: ['/bin/health', '--quick'] }, periodSeconds: 20, failureThreshold: 6 },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMount: [
                { name: 'config', mountPath: `/etc/${name}`, readOnly: true },
                { name: 'secret', mountPath: '/run/secrets', readOnly: true },
                { name: 'data', mountPath: '/data' },
              ],
            },
          ],
          volume: [
            { name: 'config', configMap: { name: config.metadata.name } },
            { name: 'secret', secret: { secretName: secret.metadata.name, defaultMode: '0400' } },
          ],
          topologySpreadConstraint: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: [{ matchLabels: { app: name } }],
            },
          ],
        },
      },
      volumeClaimTemplate: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${10 + i}Gi` } } },
        },
      ],
    },
  });
  new ServiceV1(scope, `${name}-svc`, {
    metadata: { name, namespace: ns.metadata.name, labels },
    spec: { selector: { app: name }, port: [{ name: 'client', port: 5000 + i, targetPort: 'client' }] },
  });
  for (const from of ['app', 'monitoring'])
    new NetworkPolicyV1(scope, `${name}-from-${from}`, {
      metadata: { name: `${name}-from-${from}`, namespace: ns.metadata.name, labels },
      spec: {
        podSelector: { matchLabels: { app: name } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': from } } }],
            ports: [{ port: String(5000 + i), protocol: 'TCP' }],
          },
        ],
      },
    });
}

/** @param {TerraformStack} stack */
function kubernetesResources(stack) {
  new KubernetesProvider(stack, 'kubernetes', { configPath: '~/.kube/config' });
  new HelmProvider(stack, 'helm', { kubernetes: { configPath: '~/.kube/config' } });
  if (!stack.node.tryFindChild('random')) new RandomProvider(stack, 'random', {});
  const namespaces = ['data', 'app', 'ai', 'monitoring'].map(
    (n) =>
      new NamespaceV1(stack, `ns-${n}`, {
        metadata: { name: `reference-${n}`, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      }),
  );
  for (let i = 0; i < SERVICES; i++)
    workload(
      stack,
      /** @type {NamespaceV1} */ (namespaces[i % namespaces.length]),
      i,
      new Password(stack, `k8s-password-${i}`, { length: 32, special: false }),
    );
  for (let i = 0; i < 8; i++)
    new Release(stack, `release-${i}`, {
      name: `chart${i}`,
      namespace: /** @type {NamespaceV1} */ (namespaces[i % namespaces.length]).metadata.name,
      repository: 'https://charts.example',
      chart: `chart${i}`,
      version: `1.${i}.0`,
      values: [JSON.stringify({ replicas: 2, resources: { limits: { cpu: '1', memory: '1Gi' } }, labels: { chart: `chart${i}` } })],
    });
}

/** @param {App} app @param {string} suffix */
function dockerStack(app, suffix) {
  const stack = new TerraformStack(app, `reference-docker${suffix}`);
  new DockerProvider(stack, 'docker', {});
  new RandomProvider(stack, 'random', {});
  const network = new Network(stack, 'network', { name: 'reference', internal: false });
  for (let i = 0; i < SERVICES * 2; i++) {
    const image = new Image(stack, `image-${i}`, { name: `registry.example/svc${i}:1.${i}.0`, keepLocally: true });
    const volume = new Volume(stack, `volume-${i}`, { name: `reference-svc${i}-data` });
    const password = new Password(stack, `password-${i}`, { length: 32, special: false });
    new Container(stack, `container-${i}`, {
      name: `reference-svc${i}`,
      image: image.imageId,
      restart: 'unless-stopped',
      memory: 1024,
      env: [`SERVICE=svc${i}`, `PASSWORD_FILE=/run/secrets/password`],
      networksAdvanced: [{ name: network.name, aliases: [`svc${i}`] }],
      volumes: [{ volumeName: volume.name, containerPath: '/data' }],
      upload: [{ file: '/run/secrets/password', content: password.result, permissions: '0400' }],
      ports: [{ internal: 5000 + i, external: 15000 + i, ip: '127.0.0.1' }],
      healthcheck: { test: ['CMD', '/bin/health'], interval: '10s', timeout: '5s', retries: 5, startPeriod: '30s' },
      labels: [{ label: 'managed-by', value: 'reference' }],
    });
  }
}

/** @param {App} app @param {string} id @param {number} pools */
function awsStack(app, id, pools) {
  const stack = new TerraformStack(app, id);
  new AwsProvider(stack, 'aws', { region: 'eu-west-1', defaultTags: [{ tags: { project: 'reference' } }] });
  new RandomProvider(stack, 'random', {});
  const vpc = new Vpc(stack, 'vpc', { cidrBlock: '10.0.0.0/16', enableDnsHostnames: true, enableDnsSupport: true });
  const subnets = ZONES.flatMap((z, k) =>
    ['private', 'public'].map(
      (kind, j) =>
        new Subnet(stack, `${kind}-${z}`, {
          vpcId: vpc.id,
          availabilityZone: `eu-west-1${z}`,
          cidrBlock: `10.0.${k * 2 + j}.0/24`,
          tags: { kind },
        }),
    ),
  );
  const sg = new SecurityGroup(stack, 'nodes', { vpcId: vpc.id, name: `${id}-nodes`, description: 'nodes' });
  for (let p = 0; p < 12; p++)
    new VpcSecurityGroupIngressRule(stack, `nodes-in-${p}`, {
      securityGroupId: sg.id,
      referencedSecurityGroupId: sg.id,
      ipProtocol: 'tcp',
      fromPort: 1000 * p,
      toPort: 1000 * p + 999,
    });
  const roles = Array.from({ length: 10 }, (_, i) => {
    const role = new IamRole(stack, `role-${i}`, {
      name: `${id}-role-${i}`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }],
      }),
    });
    new IamRolePolicy(stack, `role-${i}-policy`, {
      role: role.name,
      policy: Fn.jsonencode({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [`arn:aws:s3:::${id}-${i}/*`] }],
      }),
    });
    return role;
  });
  const cluster = new EksCluster(stack, 'cluster', {
    name: id,
    roleArn: /** @type {IamRole} */ (roles[0]).arn,
    version: '1.35',
    vpcConfig: { subnetIds: subnets.map((s) => s.id), endpointPublicAccess: false, endpointPrivateAccess: true },
    encryptionConfig: { resources: ['secrets'], provider: { keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/reference' } },
  });
  for (let p = 0; p < pools; p++)
    for (const z of ZONES) {
      const template = new LaunchTemplate(stack, `lt-${p}-${z}`, {
        namePrefix: `${id}-${p}-${z}-`,
        metadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' },
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 100, volumeType: 'gp3', encrypted: 'true' } }],
        vpcSecurityGroupIds: [sg.id],
      });
      new EksNodeGroup(stack, `pool-${p}-${z}`, {
        clusterName: cluster.name,
        nodeGroupNamePrefix: `pool${p}-${z}-`,
        nodeRoleArn: /** @type {IamRole} */ (roles[1]).arn,
        subnetIds: [/** @type {Subnet} */ (subnets[ZONES.indexOf(z) * 2]).id],
        scalingConfig: { minSize: 1, maxSize: 3, desiredSize: 1 },
        launchTemplate: { id: template.id, version: template.latestVersion.toString() },
        labels: { pool: `pool${p}` },
        lifecycle: { createBeforeDestroy: true, ignoreChanges: ['scaling_config[0].desired_size'] },
      });
    }
  for (let b = 0; b < 5; b++) {
    const bucket = new S3Bucket(stack, `bucket-${b}`, { bucketPrefix: `${id}-${b}-`, lifecycle: { preventDestroy: false } });
    new S3BucketPolicy(stack, `bucket-${b}-policy`, {
      bucket: bucket.id,
      policy: Fn.jsonencode({
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    });
  }
  new DbInstance(stack, 'db', {
    identifierPrefix: `${id}-`,
    engine: 'postgres',
    engineVersion: '18',
    instanceClass: 'db.r6g.large',
    allocatedStorage: 200,
    manageMasterUserPassword: true,
    username: 'reference',
    storageEncrypted: true,
    deletionProtection: true,
    vpcSecurityGroupIds: [sg.id],
  });
  return stack;
}

const copiesArg = process.argv.find((a) => a.startsWith('--copies='));
/** How many times the four stacks are built (with other ids): the scale part compares many environments with many copies. */
const copies = copiesArg ? Number(copiesArg.slice('--copies='.length)) : 1;
const dirArg = process.argv.slice(2).find((a) => !a.startsWith('--'));
const outdir = dirArg ?? process.env.CDKTF_OUTDIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reference-'));
const app = new App({ outdir, stackTraces: false });
for (let c = 0; c < copies; c++) {
  const suffix = c === 0 ? '' : `-${c}`;
  dockerStack(app, suffix);
  kubernetesResources(new TerraformStack(app, `reference-kubernetes${suffix}`));
  kubernetesResources(awsStack(app, `reference-aws${suffix}`, 2));
  awsStack(app, `reference-small${suffix}`, 0);
}
app.synth();
if (!dirArg && !process.env.CDKTF_OUTDIR) fs.rmSync(outdir, { recursive: true, force: true });
