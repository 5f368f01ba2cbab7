/**
 * What the managed-service renderers share: their inputs (the AWS context, network, keys, the nodes'
 * security group, generated secrets) and their output, the neutral endpoint that reaches the cluster
 * as a ConfigMap (addresses) and a Secret (credentials, by Terraform reference only).
 */
import type { Construct } from '../../providers/cdktf';
import { Fn } from '../../providers/cdktf';
import { SecretsmanagerSecret, SecretsmanagerSecretVersion, SecurityGroup, VpcSecurityGroupIngressRule } from '../../providers/aws';
import type { GeneratedSecrets } from '../secrets';
import { memoryBytes } from '../../spec/quantity';
import type { ManagedEquivalent, ServiceSpec, VolumeSpec } from '../../spec/types';
import type { ManagedConfig } from '../../../environments/parse/aws';
import { pinAddress } from '../terraform';
import type { AwsContext, Statement } from './context';
import type { Keys } from './keys';
import type { ManagedSummary, StackJson } from '../summary';
import type { Network } from './network';
import type { AdminJob } from './admin-jobs';
import type { ServerCa } from '../kubernetes/cluster-facts';
import { CURL_IMAGE } from '../../services/tools';

export interface ManagedInputs {
  readonly ctx: AwsContext;
  readonly network: Network;
  readonly keys: Keys;
  /** The security group of every node and pod: the only source a data service admits. */
  readonly clients: SecurityGroup;
  /** Generated values of the secrets the renderer reuses from the spec (`reusesSecrets`). */
  readonly secrets: GeneratedSecrets;
  /**
   * The name of the IAM role a consumer's pods run with (in-cluster.ts `consumerRoleName`): its own
   * Pod Identity role, or the applications' in their namespace. Its ARN is `arn:aws:iam::<account>:role/<name>`.
   */
  readonly consumerRole: (consumer: string) => string;
}

/** What one application (a consumer of the environment) receives from a managed service: its own identity. */
export interface ManagedApplication {
  readonly consumer: string;
  /** Non-secret connection facts (ConfigMap `<service>-endpoint` in the consumer's namespace). */
  readonly endpoint: Readonly<Record<string, string>>;
  /** Its own credentials (Secret `<service>-credentials` there), never the master's. */
  readonly credentials: Readonly<Record<string, string>>;
  /**
   * What its pods may do through a Pod Identity role of the consumer's (RDS IAM authentication:
   * `rds-db:connect` as its own role). @default none: no role for it
   */
  readonly statements?: readonly Statement[];
}

/** What the cluster's workloads get to reach a managed service. */
export interface ManagedEndpoint {
  /**
   * Non-secret connection facts (ConfigMap `<service>-endpoint` in the applications' namespace),
   * for a service without per-application identities (`applications` absent).
   */
  readonly endpoint: Readonly<Record<string, string>>;
  /** Credentials by reference (Secret `<service>-credentials`); absent when access is by IAM or per application. */
  readonly credentials?: Readonly<Record<string, string>>;
  /**
   * Set when the service gives each consumer its own identity: published in each consumer's
   * namespace instead of `endpoint` and `credentials`.
   */
  readonly applications?: readonly ManagedApplication[];
  /**
   * What the platform's own services that use it (Roundcube's role in PostgreSQL) resolve the spec's
   * host and secrets to, and the ports they reach it on (in the private subnets).
   */
  readonly references?: {
    readonly service: string;
    readonly host: string;
    readonly secrets: Readonly<Record<string, string>>;
    readonly ports: readonly number[];
    /** The CA of its server certificate, for those that verify it (Roundcube on RDS). @default none */
    readonly serverCa?: ServerCa;
  };
  /** Jobs that act as the service's master user (admin-jobs.ts): the only holders of its credentials. */
  readonly adminJobs?: readonly AdminJob[];
  /** What the platform's applications may do through their Pod Identity role. */
  readonly clientStatements: readonly Statement[];
}

/**
 * A managed service in place of a catalogue service: `K` is its switch in `target.managed`, `F` the
 * facet of the spec it replaces (what it may know beyond the spec).
 */
export interface ManagedRenderer<K extends keyof ManagedConfig = keyof ManagedConfig, F = unknown> {
  /** What AWS calls it, for docs and summaries. */
  readonly title: string;
  /**
   * Spec secrets the managed service keeps using (so switching back and forth keeps the value).
   * What each application receives instead of the administrator's credentials is in
   * `spec.consumers`; a renderer that creates those identities (targets/aws/placement.ts,
   * `managedIdentities`) gets the spec's application secrets generated too.
   */
  readonly reusesSecrets: readonly string[];
  render(
    scope: Construct,
    inputs: ManagedInputs,
    spec: ServiceSpec<string, F>,
    config: Extract<ManagedConfig[K], { mode: 'managed' }>,
  ): ManagedEndpoint;
  /**
   * What the synthesized stack holds of it (its resources at their pinned addresses): engine, size,
   * layout, provisioned storage and what it is billed for (synth summary).
   */
  summarize(resources: NonNullable<StackJson['resource']>): Omit<ManagedSummary, 'service' | 'title'>;
}

export type ManagedRenderers = { readonly [M in ManagedEquivalent]: ManagedRenderer };

/** A security group admitting the cluster's nodes and pods on the given TCP ports, and nothing else. */
export function clientOnlyGroup(scope: Construct, inputs: ManagedInputs, service: string, ports: readonly number[]): SecurityGroup {
  const { ctx } = inputs;
  const sg = pinAddress(
    new SecurityGroup(scope, `${service}-sg`, {
      name: ctx.name(service),
      description: `${service}: reachable from the EKS nodes and pods only`,
      vpcId: inputs.network.vpc.id,
      tags: ctx.tags(ctx.name(service)),
    }),
    service,
  );
  for (const port of ports) {
    pinAddress(
      new VpcSecurityGroupIngressRule(scope, `${service}-from-nodes-${port}`, {
        securityGroupId: sg.id,
        referencedSecurityGroupId: inputs.clients.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `EKS nodes and pods to ${service}`,
      }),
      `${service}_from_nodes`,
      String(port),
    );
  }
  return sg;
}

/**
 * Credentials kept in Secrets Manager (encrypted with the data key): the service reads its password
 * from the secret version, so Secrets Manager is the source of truth the applications can read too.
 */
export function credentialSecret(
  scope: Construct,
  inputs: ManagedInputs,
  service: string,
  username: string,
  password: string,
): { secret: SecretsmanagerSecret; password: string } {
  const { ctx } = inputs;
  const secret = pinAddress(
    new SecretsmanagerSecret(scope, `${service}-secret`, {
      name: `${ctx.prefix}/${service}`,
      description: `${service} credentials (generated by Terraform)`,
      kmsKeyId: inputs.keys.data.arn,
      recoveryWindowInDays: 7,
      tags: ctx.tags(`${ctx.prefix}/${service}`),
    }),
    service,
  );
  const version = pinAddress(
    new SecretsmanagerSecretVersion(scope, `${service}-secret-version`, {
      secretId: secret.id,
      secretString: Fn.jsonencode({ username, password }),
    }),
    service,
  );
  return { secret, password: Fn.lookup(Fn.jsondecode(version.secretString), 'password') };
}

/** The spec's data volume (what a managed service sizes its storage by). */
export function dataVolume(spec: ServiceSpec): VolumeSpec {
  const v = spec.volumes.find((x) => x.name === 'data');
  if (!v) throw new Error(`${spec.name}: no data volume`);
  return v;
}

/** GiB from a Kubernetes quantity (`200Gi` -> 200), at least `min`. */
export function gibOf(quantity: string, min = 1): number {
  return Math.max(min, Math.ceil(memoryBytes(quantity) / 2 ** 30));
}

/** Statement letting a client decrypt what the data key protects. */
export const useDataKey = (inputs: ManagedInputs, actions: readonly string[] = ['kms:Decrypt']): Statement => ({
  Sid: actions.length === 1 ? 'DecryptWithDataKey' : 'EncryptDecryptWithDataKey',
  Effect: 'Allow',
  Action: actions,
  Resource: inputs.keys.data.arn,
});

/**
 * The job that applies the applications' identities on a managed service through its HTTPS API as
 * its administrator (Amazon MQ's users, OpenSearch's internal users): curl with the service's
 * script, the applications' passwords as inputs, the administrator's secret read by this job's Pod
 * Identity role only. None when there is no application.
 */
export function httpsUsersJob(
  inputs: ManagedInputs,
  job: {
    readonly name: string;
    readonly purpose: string;
    readonly script: string;
    readonly env: Readonly<Record<string, string>>;
    readonly passwords: Readonly<Record<string, string>>;
    /** How many applications it applies (some may have no password: IAM). @default the passwords' */
    readonly applications?: number;
    readonly secret: SecretsmanagerSecret;
    /** The policy statement's id (`Read<Service>...Secret`). */
    readonly sid: string;
  },
): AdminJob[] {
  if ((job.applications ?? Object.keys(job.passwords).length) === 0) return [];
  return [
    {
      name: job.name,
      purpose: job.purpose,
      image: CURL_IMAGE,
      script: job.script,
      env: job.env,
      inputs: job.passwords,
      master: {
        secretArn: job.secret.arn,
        statements: [
          { Sid: job.sid, Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: job.secret.arn },
          useDataKey(inputs),
        ],
      },
      ports: [443],
      timeoutSeconds: 600,
    },
  ];
}
