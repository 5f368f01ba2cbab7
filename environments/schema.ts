/**
 * The environment file contract. An environment file default-exports an object that
 * `satisfies EnvironmentInput`; `loadEnvironment` validates it with these schemas before anything is
 * built. Service sections are validated by each service's own schema after the profile is merged in.
 */
import { z } from 'zod';
import { type ServiceInput, type ServiceName, serviceNames } from '../constructs/services';
import { cidrBlock, cidrContains, ipv4Address, parseCidr, parseIpv4 } from './network';
import { awsRegion, awsTargetSchema } from './aws';
import { profileNames } from './profiles';

export { awsTargetSchema };

const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lower case, digits, hyphens)');

export const dockerTargetSchema = z.strictObject({
  kind: z.literal('docker'),
  /** Docker daemon address. @default 'unix:///var/run/docker.sock' */
  host: z
    .string()
    .regex(/^(unix|tcp|ssh):\/\/\S+$/, 'must be a unix://, tcp:// or ssh:// address')
    .default('unix:///var/run/docker.sock'),
  network: z
    .strictObject({
      /** Bridge network subnet. @default '172.28.0.0/16' (the platform's documented network) */
      subnet: cidrBlock(8, 28).default('172.28.0.0/16'),
      /** Gateway address inside the subnet. @default the subnet's first address */
      gateway: ipv4Address.optional(),
    })
    .prefault({})
    .superRefine((n, ctx) => {
      const cidr = parseCidr(n.subnet);
      const gw = n.gateway === undefined ? undefined : parseIpv4(n.gateway);
      if (typeof cidr !== 'string' && gw !== undefined && !cidrContains(cidr, gw)) {
        ctx.addIssue({ code: 'custom', path: ['gateway'], message: `${n.gateway} is outside ${n.subnet}` });
      }
    }),
  /** The host has NVIDIA GPUs and the NVIDIA container toolkit. @default false */
  gpu: z.boolean().default(false),
});

const toleration = z.strictObject({
  key: z.string(),
  operator: z.enum(['Equal', 'Exists']).default('Equal'),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

export const kubernetesTargetSchema = z.strictObject({
  kind: z.literal('kubernetes'),
  kubeconfig: z.strictObject({
    /** @default '~/.kube/config' */
    path: z.string().default('~/.kube/config'),
    /** kubeconfig context to deploy into (explicit, so a deploy never lands on the wrong cluster). */
    context: z.string().min(1),
  }),
  /** Namespace the platform is installed into. */
  namespace: dnsLabel,
  /** StorageClass for persistent volumes. @default the cluster default */
  storageClass: z.string().min(1).optional(),
  /** GPU nodes, when the cluster has them. @default none */
  gpu: z
    .strictObject({
      /** @default 'nvidia.com/gpu' */
      resourceName: z.string().default('nvidia.com/gpu'),
      nodeSelector: z.record(z.string(), z.string()).default({}),
      tolerations: z.array(toleration).default([]),
    })
    .optional(),
});

export const targetSchema = z.discriminatedUnion('kind', [dockerTargetSchema, kubernetesTargetSchema, awsTargetSchema]);

export const backendSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('local'),
    /** State file, relative to the project root. @default 'terraform.<environment>.tfstate' */
    path: z.string().min(1).optional(),
  }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
    key: z.string().min(1),
    region: awsRegion,
    /** KMS key for state encryption. @default the bucket's default encryption */
    kmsKeyId: z.string().optional(),
  }),
]);

/** Labels applied to every resource that takes them. */
const labels = z.record(
  z.string().regex(/^[a-z0-9]([a-z0-9./-]{0,61}[a-z0-9])?$/, 'must be a label key'),
  z.string().regex(/^([A-Za-z0-9][A-Za-z0-9_.-]{0,61})?[A-Za-z0-9]?$/, 'must be a label value'),
);

/** First pass: the environment's own fields; service sections are checked by their schemas next. */
export const environmentSchema = z.strictObject({
  name: dnsLabel,
  /** Prefix of every resource name. @default 'agent-platform' */
  project: dnsLabel.default('agent-platform'),
  /** Sizing profile supplying defaults for every service (see environments/profiles.ts). */
  profile: z.enum(profileNames),
  target: targetSchema,
  backend: backendSchema,
  /** @default {} */
  labels: labels.default({}),
  /**
   * Protect stateful resources from `destroy` (Terraform prevent_destroy on data volumes, deletion
   * protection on managed databases). Turn off only where data is disposable.
   * @default true
   */
  protectData: z.boolean().default(true),
  services: z.strictObject(
    Object.fromEntries(serviceNames.map((n) => [n, z.record(z.string(), z.unknown()).optional()])) as Record<
      ServiceName,
      z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>
    >,
  ),
});

export type Target = z.output<typeof targetSchema>;
export type TargetKind = Target['kind'];
export type Backend = z.output<typeof backendSchema>;

/** What an environment file writes (`export default { ... } satisfies EnvironmentInput`). */
export type EnvironmentInput = Omit<z.input<typeof environmentSchema>, 'services'> & {
  services: { [K in ServiceName]?: ServiceInput<K> };
};
