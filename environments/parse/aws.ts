/**
 * The `aws` target of an environment file: region, VPC layout, EKS and its node pools, and which
 * services run as AWS managed services. Everything a plan needs comes from here (zone names and
 * CIDRs included), never from data-source lookups, so that `terraform plan` needs no AWS access to
 * know the shape of the network.
 */
import { z } from 'zod';
import { type Cidr, cidrBlock, parseCidr } from './network';

const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lower case, digits, hyphens)');
export const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1');
const zoneName = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/, 'must be an availability zone name such as eu-west-1a');
const instanceType = z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'must be an EC2 instance type such as m6i.2xlarge');
const roleArn = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM role ARN such as arn:aws:iam::111122223333:role/platform-admin',
  );

/** CloudWatch Logs accepts these retention periods only. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const retentionDays = z
  .number()
  .int()
  .refine((d) => RETENTION_DAYS.includes(d), `must be one of the CloudWatch Logs retention periods: ${RETENTION_DAYS.join(', ')}`);

const zoneSchema = z.strictObject({
  /** Availability zone name, in the target's region (e.g. eu-west-1a). */
  name: zoneName,
  /** Public subnet: load balancers and the zone's NAT gateway. */
  public: cidrBlock(16, 28),
  /** Private subnet: nodes, pods and the managed data services; egress through NAT. */
  private: cidrBlock(16, 28),
  /** Intra subnet: no route to the internet; the EKS control-plane network interfaces. */
  intra: cidrBlock(16, 28),
});

const cidrs = (c: { public: string; private: string; intra: string }) =>
  (['public', 'private', 'intra'] as const).map((k) => ({ key: k, value: c[k], parsed: parseCidr(c[k]) }));
const overlaps = (a: Cidr, b: Cidr) => {
  const end = (c: Cidr) => c.network + 2 ** (32 - c.prefix);
  return a.network < end(b) && b.network < end(a);
};

/** AWS services an interface endpoint may be created for (`com.amazonaws.<region>.<service>`). */
export const interfaceEndpointServices = [
  'ecr.api',
  'ecr.dkr',
  'sts',
  'logs',
  'eks-auth',
  'eks',
  'ec2',
  'autoscaling',
  'elasticloadbalancing',
] as const;

export const vpcSchema = z
  .strictObject({
    cidr: cidrBlock(16, 24),
    /** One entry per availability zone (at least two: EKS and RDS need two zones; three for production). */
    zones: z.array(zoneSchema).min(2, 'needs at least two availability zones').max(6),
    /**
     * `per-zone`: a NAT gateway in every zone (a zone outage does not cut the others' egress);
     * `single`: one NAT gateway for all zones (cheaper, one zone is a single point of failure).
     * @default 'per-zone' on the large (production) profile, 'single' on smaller ones (environments/parse/profiles.ts)
     */
    natGateways: z.enum(['per-zone', 'single']).optional(),
    /** VPC flow logs (all traffic) to CloudWatch Logs, kept this many days. @default 90 */
    flowLogRetentionDays: retentionDays.default(90),
    /**
     * Interface endpoints (private DNS on, reachable from the nodes' security group), so that these
     * AWS APIs are reached inside the VPC instead of through NAT: image pulls (`ecr.api` for the
     * registry API, `ecr.dkr` for manifests; the layers come from S3 through the gateway endpoint)
     * and credentials (`sts`). Each costs an hourly fee per zone.
     * @default ['ecr.api', 'ecr.dkr', 'sts']
     */
    interfaceEndpoints: z
      .array(z.enum(interfaceEndpointServices))
      .default(['ecr.api', 'ecr.dkr', 'sts'])
      .refine((l) => new Set(l).size === l.length, 'lists a service twice'),
  })
  .superRefine((vpc, ctx) => {
    const outer = parseCidr(vpc.cidr);
    const seen: { where: string; value: string; parsed: Cidr }[] = [];
    const names = new Set<string>();
    vpc.zones.forEach((zone, i) => {
      if (names.has(zone.name)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'name'], message: `zone ${zone.name} is listed twice` });
      names.add(zone.name);
      for (const { key, value, parsed } of cidrs(zone)) {
        if (typeof parsed === 'string') continue; // reported by the field itself
        if (typeof outer !== 'string' && (parsed.prefix < outer.prefix || !overlaps(parsed, outer))) {
          ctx.addIssue({ code: 'custom', path: ['zones', i, key], message: `${value} is outside the VPC's ${vpc.cidr}` });
          continue;
        }
        const clash = seen.find((s) => overlaps(s.parsed, parsed));
        if (clash) ctx.addIssue({ code: 'custom', path: ['zones', i, key], message: `${value} overlaps ${clash.where} (${clash.value})` });
        else seen.push({ where: `zones[${i}].${key}`, value, parsed });
      }
    });
  });

const nodePoolFields = {
  instanceTypes: z.array(instanceType).min(1),
  min: z.number().int().min(0),
  max: z.number().int().min(1),
  /** Size at creation; afterwards the cluster autoscaler owns it (Terraform ignores later drift). */
  desired: z.number().int().min(0),
  /** Root (AL2023) or data (Bottlerocket) volume size in GiB, gp3, encrypted. @default 100 */
  diskGiB: z.number().int().min(20).max(16384).default(100),
  /** @default 'ON_DEMAND' */
  capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND'),
  /**
   * Zones the pool has nodes in: one managed node group per zone (the cluster autoscaler builds a
   * group's node template from its first zone only, so a group spanning zones cannot be scaled for a
   * pod whose volume is in another). `min`, `max` and `desired` are the pool's totals, spread over
   * the zones in this order (the first zones get the remainder).
   * @default every zone of `target.vpc.zones`
   */
  zones: z.array(zoneName).min(1).optional(),
  /**
   * The AMI release the nodes run (`aws eks describe-nodegroup ... releaseVersion`, e.g.
   * `1.35.3-20260724` for AL2023, `1.48.0-a1b2c3d4` for Bottlerocket). Unset: EKS picks the latest
   * release for the cluster's version when a node group is created or its version changes, and keeps
   * it until the next `aws eks update-nodegroup-version` or a release set here (docs/operations.md).
   * @default the latest release at creation
   */
  releaseVersion: z
    .string()
    .regex(/^\d+\.\d+\.\d+-[0-9a-f]{8}$/, 'must be an EKS AMI release version such as 1.35.3-20260724')
    .optional(),
};

function sizes(p: { min: number; max: number; desired: number }, ctx: z.RefinementCtx) {
  if (p.min > p.max) ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${p.min} exceeds max ${p.max}` });
  if (p.desired < p.min || p.desired > p.max) {
    ctx.addIssue({ code: 'custom', path: ['desired'], message: `desired ${p.desired} is outside ${p.min}..${p.max}` });
  }
}

const RETIRED_AMIS = /^AL2_/;
function amiType<const T extends readonly [string, ...string[]]>(allowed: T, fallback: T[number]) {
  return z
    .string()
    .default(fallback)
    .superRefine((v, ctx) => {
      if (RETIRED_AMIS.test(v)) {
        ctx.addIssue({
          code: 'custom',
          message: `${v}: EKS stopped publishing Amazon Linux 2 AMIs on 26 Nov 2025; use one of ${allowed.join(', ')}`,
        });
      } else if (!allowed.includes(v)) ctx.addIssue({ code: 'custom', message: `must be one of ${allowed.join(', ')}` });
    })
    .transform((v) => v as T[number]);
}

export const systemAmiTypes = ['AL2023_x86_64_STANDARD', 'BOTTLEROCKET_x86_64'] as const;
export const gpuAmiTypes = ['AL2023_x86_64_NVIDIA', 'BOTTLEROCKET_x86_64_NVIDIA'] as const;

export const systemNodePoolSchema = z
  .strictObject({
    ...nodePoolFields,
    /** @default 'AL2023_x86_64_STANDARD' */
    amiType: amiType(systemAmiTypes, 'AL2023_x86_64_STANDARD'),
  })
  .superRefine(sizes);

/** The GPU pool; which instance types carry a supported GPU is checked against the AWS target's table (constructs/targets/aws/checks.ts). */
export const gpuNodePoolSchema = z
  .strictObject({
    ...nodePoolFields,
    /**
     * `AL2023_x86_64_NVIDIA` (the NVIDIA device plugin is installed by this stack: the AMI does not
     * carry it) or `BOTTLEROCKET_x86_64_NVIDIA` (carries the plugin).
     * @default 'AL2023_x86_64_NVIDIA'
     */
    amiType: amiType(gpuAmiTypes, 'AL2023_x86_64_NVIDIA'),
  })
  .superRefine(sizes);

/** The EKS add-ons the AWS target installs, whose versions an environment may pin. */
export const addonNames = ['vpc-cni', 'coredns', 'kube-proxy', 'aws-ebs-csi-driver', 'eks-pod-identity-agent'] as const;
export type AddonName = (typeof addonNames)[number];

const addonVersion = z
  .string()
  .regex(/^v\d+\.\d+\.\d+(-[a-z0-9.]+)?-eksbuild\.\d+$/, 'must be an add-on version such as v1.21.1-eksbuild.3');

export const eksSchema = z
  .strictObject({
    /** Kubernetes minor version; must be in the support table (constructs/targets/aws/kubernetes-versions.ts). */
    version: z.string().regex(/^1\.\d{2}$/, 'must be a Kubernetes minor version such as 1.35'),
    /** Namespace the platform is installed into. @default 'platform' */
    namespace: dnsLabel.default('platform'),
    /**
     * The API endpoint is always reachable privately, from inside the VPC. A public endpoint is on only
     * when CIDRs are listed here (e.g. the CI runners' and the office's egress ranges).
     * @default [] (private only: deploy from inside the VPC or through a VPN)
     */
    publicAccessCidrs: z
      .array(
        cidrBlock(0, 32).refine((c) => !c.endsWith('/0'), {
          message: 'opens the API endpoint to the whole internet; list the CI and office ranges instead',
        }),
      )
      .default([]),
    /**
     * IAM roles given cluster-admin through EKS access entries (authentication mode API). The role that
     * runs `cdktf deploy` must be one of them: the kubernetes and helm providers act as it.
     */
    adminRoleArns: z.array(roleArn).min(1, 'needs at least one role, the one CI deploys with'),
    /**
     * IAM roles given read access to every object, Secrets included (access entries with
     * AmazonEKSAdminViewPolicy): the role pull requests and the drift check plan with, since
     * refreshing the stack's Secrets and Helm releases (kept in Secrets) reads them. Nothing else.
     * @default []
     */
    viewRoleArns: z.array(roleArn).default([]),
    /**
     * Refuse any plan that replaces or destroys the cluster (Terraform `prevent_destroy`): a new cluster
     * loses every workload and volume binding. Turn off only for a planned replacement or teardown
     * (docs/operations.md), then back on.
     * @default true
     */
    preventReplacement: z.boolean().default(true),
    /** Control-plane logs (api, audit, authenticator, controllerManager, scheduler) kept this many days. @default 90 */
    logRetentionDays: retentionDays.default(90),
    /**
     * What happens when the version leaves standard support (`upgrade_policy`): `STANDARD` lets AWS
     * upgrade the control plane itself at the end of standard support; `EXTENDED` keeps the version
     * for up to 12 more months at the extended-support price per cluster hour. Either way the synth
     * summary warns 60 days ahead (docs/operations.md, "Upgrading EKS").
     * @default 'STANDARD'
     */
    supportType: z.enum(['STANDARD', 'EXTENDED']).default('STANDARD'),
    /** Add-on versions replacing the table's pins for this Kubernetes version. @default the table's pins */
    addonVersions: z.partialRecord(z.enum(addonNames), addonVersion).default({}),
    systemNodePool: systemNodePoolSchema,
    /** GPU node pool for the model runtime; tainted `nvidia.com/gpu=true:NoSchedule`. @default none */
    gpuNodePool: gpuNodePoolSchema.optional(),
  })
  .superRefine((eks, ctx) => {
    for (const pool of ['systemNodePool', 'gpuNodePool'] as const) {
      const p = eks[pool];
      if (!p?.releaseVersion) continue;
      const al2023 = p.amiType.startsWith('AL2023');
      if (al2023 && !new RegExp(`^${eks.version.replace('.', '\\.')}\\.\\d+-\\d{8}$`).test(p.releaseVersion)) {
        ctx.addIssue({
          code: 'custom',
          path: [pool, 'releaseVersion'],
          message: `${p.releaseVersion} is not an AL2023 release of Kubernetes ${eks.version} (e.g. ${eks.version}.3-20260724); the node group follows the cluster's version`,
        });
      }
      if (!al2023 && /^\d+\.\d+\.\d+-\d{8}$/.test(p.releaseVersion)) {
        ctx.addIssue({
          code: 'custom',
          path: [pool, 'releaseVersion'],
          message: `${p.releaseVersion} is an AL2023 release; ${p.amiType} takes a Bottlerocket release such as 1.48.0-a1b2c3d4`,
        });
      }
    }
    const names = new Map<string, string>();
    for (const list of ['adminRoleArns', 'viewRoleArns'] as const)
      eks[list].forEach((arn, i) => {
        const name = arn.slice(arn.lastIndexOf('/') + 1);
        const earlier = names.get(name);
        if (earlier)
          ctx.addIssue({
            code: 'custom',
            path: [list, i],
            message:
              earlier === list
                ? `role name ${name} is listed twice`
                : `role name ${name} is also in ${earlier}; a role gets one access entry`,
          });
        names.set(name, list);
      });
  });

/** Run in the cluster instead of as a managed service. */
const inCluster = z.strictObject({ mode: z.literal('in-cluster') });
function managedOr<T extends z.core.$ZodLooseShape>(shape: T, mode: 'managed' | 'in-cluster' = 'managed') {
  return z
    .discriminatedUnion('mode', [inCluster, z.strictObject({ mode: z.literal('managed'), ...shape })], {
      error: "mode must be 'managed' (the AWS service) or 'in-cluster' (run it in the cluster)",
    })
    .prefault({ mode } as never);
}
/** @default the profile's `highAvailability` (on for large) */
const haFlag = z.boolean().optional();

export const managedSchema = z.strictObject({
  /** PostgreSQL as RDS PostgreSQL. @default { mode: 'managed' } */
  postgres: managedOr({
    /**
     * The RDS engine version: a major (`'18'`, minor versions then follow AWS's automatic minor
     * upgrades) or major.minor (`'18.3'`). Its own setting, not the in-cluster image's: a new major
     * needs `allowMajorVersionUpgrade` and the runbook in docs/operations.md.
     * @default '18'
     */
    engineVersion: z
      .string()
      .regex(/^\d{2}(\.\d+)?$/, 'must be a PostgreSQL major or major.minor version such as 18 or 18.3')
      .default('18'),
    /**
     * Lets RDS move the instance to a new major version (`allow_major_version_upgrade`); without it
     * AWS refuses a changed major at apply. Set it for the upgrade only (docs/operations.md).
     * @default false
     */
    allowMajorVersionUpgrade: z.boolean().default(false),
    /** @default 'db.r6g.xlarge' */
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an RDS instance class such as db.r6g.xlarge')
      .default('db.r6g.xlarge'),
    /** A standby in a second zone. @default the profile's highAvailability */
    multiAz: haFlag,
    /** Days of automated backups (point-in-time recovery). @default 14 */
    backupRetentionDays: z.number().int().min(7, 'keep at least 7 days of backups').max(35).default(14),
    /** Storage autoscaling ceiling in GiB. @default four times the service's persistence.size */
    maxStorageGiB: z.number().int().min(20).max(65536).optional(),
  }),
  /** Redis as an ElastiCache replication group. @default { mode: 'managed' } */
  redis: managedOr({
    /** @default 'valkey' */
    engine: z.enum(['valkey', 'redis']).default('valkey'),
    /** @default '8.0' for valkey, '7.1' for redis */
    engineVersion: z
      .string()
      .regex(/^\d+\.\d+$/, 'must be a major.minor version such as 8.0')
      .optional(),
    /** @default 'cache.r7g.large' */
    nodeType: z
      .string()
      .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an ElastiCache node type such as cache.r7g.large')
      .default('cache.r7g.large'),
    /** Replicas in other zones with automatic failover. @default the profile's highAvailability */
    multiAz: haFlag,
    /** Days of daily snapshots. @default 7 */
    snapshotRetentionDays: z.number().int().min(1).max(35).default(7),
  }),
  /** RabbitMQ as Amazon MQ for RabbitMQ. @default { mode: 'managed' } */
  rabbitmq: managedOr({
    /** RabbitMQ 4.x runs on mq.m7g only; 3.13 also on mq.m5 and mq.t3.micro. @default 'mq.m7g.large' */
    instanceType: z
      .string()
      .regex(/^mq\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an Amazon MQ instance type such as mq.m7g.large')
      .default('mq.m7g.large'),
    /** '4.2' (AWS's recommended version), '4.3' or '3.13'; docs/operations.md says where Amazon MQ differs from the in-cluster broker. @default '4.2' */
    engineVersion: z
      .string()
      .regex(/^\d+\.\d+$/, 'must be a major.minor version such as 4.2')
      .default('4.2'),
    /** Three brokers across zones (CLUSTER_MULTI_AZ) instead of one. @default the profile's highAvailability */
    cluster: haFlag,
  }),
  /**
   * Elasticsearch runs in the cluster (ECK, with Kibana), the same API the other environments run.
   * `{ mode: 'managed' }` replaces it with Amazon OpenSearch Service, a different product:
   * Elasticsearch clients from 7.14 on refuse it, so applications must use OpenSearch clients (the
   * synth summary warns), and Kibana becomes OpenSearch Dashboards, served by the domain.
   * @default { mode: 'in-cluster' }
   */
  elasticsearch: managedOr(
    {
      /** @default 'OpenSearch_2.19' */
      engineVersion: z
        .string()
        .regex(/^OpenSearch_\d+\.\d+$/, 'must be an OpenSearch version such as OpenSearch_2.19')
        .default('OpenSearch_2.19'),
      /** @default 'r6g.large.search' */
      instanceType: z
        .string()
        .regex(/\.search$/, 'must be an OpenSearch instance type such as r6g.large.search')
        .default('r6g.large.search'),
      /** Data nodes spread over the zones, and three dedicated master nodes. @default the profile's highAvailability */
      highAvailability: haFlag,
      /** @default 'm6g.large.search' */
      masterInstanceType: z
        .string()
        .regex(/\.search$/, 'must be an OpenSearch instance type such as m6g.large.search')
        .default('m6g.large.search'),
      /**
       * Multi-AZ with Standby (`multi_az_with_standby_enabled`): one zone's data nodes stand by and
       * take over within a minute when a zone fails. Needs high availability, three zones, data nodes in
       * a multiple of three and no T-family instances.
       * @default false
       */
      multiAzWithStandby: z.boolean().default(false),
    },
    'in-cluster',
  ),
  /** The object store as S3 buckets (same names, prefixed by project and environment). @default { mode: 'managed' } */
  objectstore: managedOr({
    /** Days before a replaced or deleted object version is removed. @default 90 */
    noncurrentVersionDays: z.number().int().min(1).default(90),
    /** Days before an unfinished multipart upload is aborted. @default 7 */
    abortIncompleteUploadDays: z.number().int().min(1).default(7),
    /**
     * What makes the bucket names (`<project>-<environment>-<bucket>-<suffix>`) unique in S3's global
     * namespace: `account-id` (needs `target.accountId`), `random` (8 hex characters generated once and
     * kept in the state), or `none` (the bare name, as buckets created before this option were named;
     * a name someone else holds fails with BucketAlreadyExists). Changing it replaces the buckets.
     * @default 'account-id' when target.accountId is set, else 'random'
     */
    bucketSuffix: z.enum(['account-id', 'random', 'none']).optional(),
  }),
});

const domainName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS domain in lower case, such as platform.example.com');

/**
 * What the platform serves to the internet on AWS: the API gateway (Kong) at `api.<domain>` and the
 * webmail at `webmail.<domain>` behind an Application Load Balancer with an ACM certificate, the mail
 * server behind a Network Load Balancer that passes the client's address (PROXY protocol v2), and
 * their records in a Route 53 hosted zone (with the mail domain's MX, SPF, DKIM and DMARC).
 */
export const edgeSchema = z.strictObject({
  /** Host names are `<name>.<domain>` (api, webmail); must be the hosted zone's name or below it. */
  domain: domainName,
  /** The public hosted zone the records go into (its id, and its name to check the domains against). */
  hostedZone: z.strictObject({
    id: z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
    name: domainName,
  }),
  /**
   * Who issues the certificate the mail server serves itself (SMTP and IMAP cannot use ACM's):
   * `acme`, Let's Encrypt through cert-manager with DNS-01 in the hosted zone (its role may change
   * that zone's records only); `self-signed`, a private CA in the cluster (clients must trust it).
   * @default { kind: 'acme' }
   */
  issuer: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('acme'),
        /** Contact for expiry notices. @default none */
        email: z
          .string()
          .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an e-mail address')
          .optional(),
        /** @default "https://acme-v02.api.letsencrypt.org/directory" */
        server: z
          .string()
          .regex(/^https:\/\//, 'must be an https:// URL')
          .default('https://acme-v02.api.letsencrypt.org/directory'),
      }),
      z.strictObject({ kind: z.literal('self-signed') }),
    ])
    .default({ kind: 'acme', server: 'https://acme-v02.api.letsencrypt.org/directory' }),
  /**
   * Where the load balancers admit connections from (HTTPS, and the mail ports). Mail from the
   * internet needs `0.0.0.0/0`.
   * @default ['0.0.0.0/0']
   */
  allowedCidrs: z.array(cidrBlock(0, 32)).min(1).default(['0.0.0.0/0']),
});

export const mailTargetSchema = z.strictObject({
  /**
   * How outgoing mail leaves: `direct`, from the mail server to each domain's MX on port 25 (EC2
   * throttles port 25 by default until AWS lifts it on request: docs/operations.md); `ses`, through
   * Amazon SES on 587 with SMTP credentials of an IAM user that may only send as the mail domain,
   * which SES signs with the same DKIM key (BYODKIM). SES starts in its sandbox (verified recipients
   * only) until production access is granted.
   * @default 'direct'
   */
  relay: z.enum(['direct', 'ses']).default('direct'),
});

export const awsTargetSchema = z
  .strictObject({
    kind: z.literal('aws'),
    region: awsRegion,
    /** When set, the provider refuses to run against any other account. @default any account */
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    vpc: vpcSchema,
    eks: eksSchema,
    /** Which services run as AWS managed services; each can be switched back with `{ mode: 'in-cluster' }`. @default all managed */
    managed: managedSchema.prefault({}),
    /** The public edge (load balancers, certificates, DNS) for the mail server, the webmail and the API gateway. @default none */
    edge: edgeSchema.optional(),
    /** The mail server's outgoing path (services.mail). @default { relay: 'direct' } */
    mail: mailTargetSchema.prefault({}),
    /**
     * AWS Backup: the region every recovery point is copied to (a vault with its own KMS key there),
     * so losing the region loses no backup. Must differ from `region`.
     * @default the region's usual partner (us-east-1 -> us-west-2, eu-west-1 -> eu-central-1, ...;
     * targets/aws/backup.ts); required for a region without one
     */
    backupCopyRegion: awsRegion.optional(),
  })
  .superRefine((t, ctx) => {
    if (t.backupCopyRegion === t.region)
      ctx.addIssue({
        code: 'custom',
        path: ['backupCopyRegion'],
        message: `must differ from target.region (${t.region}): a copy in the same region survives no regional outage`,
      });
    t.vpc.zones.forEach((zone, i) => {
      if (zone.name.slice(0, -1) !== t.region) {
        ctx.addIssue({ code: 'custom', path: ['vpc', 'zones', i, 'name'], message: `${zone.name} is not a zone of ${t.region}` });
      }
    });
    const vpcZones = t.vpc.zones.map((z) => z.name);
    for (const pool of ['systemNodePool', 'gpuNodePool'] as const) {
      const p = t.eks[pool];
      const zones = p?.zones;
      if (!p || !zones) continue;
      zones.forEach((z, i) => {
        if (!vpcZones.includes(z)) {
          ctx.addIssue({
            code: 'custom',
            path: ['eks', pool, 'zones', i],
            message: `${z} is not one of target.vpc.zones (${vpcZones.join(', ')})`,
          });
        }
        if (zones.indexOf(z) !== i) ctx.addIssue({ code: 'custom', path: ['eks', pool, 'zones', i], message: `${z} is listed twice` });
      });
    }
  });

export type AwsTarget = z.output<typeof awsTargetSchema>;
export type ManagedConfig = AwsTarget['managed'];
