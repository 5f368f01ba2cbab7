/**
 * The jobs that hold a managed service's master credentials, and nothing else does.
 *
 * A managed service's renderer describes what must be done as its master user (PostgreSQL: the
 * applications' roles and databases); this construct runs it in the cluster, in a namespace of its
 * own (`<namespace>-admin`: restricted, default-deny, no application runs there):
 * - the master secret is fetched at run time from Secrets Manager with the job's own Pod Identity
 *   role (GetSecretValue on that secret, Decrypt with the data key: nothing else), by an init
 *   container (curl with SigV4, scripts/fetch-secret.sh) into an in-memory volume the job's two
 *   containers alone share. RDS rotates the master every week: each run reads the current one, and
 *   Terraform never sees it;
 * - the values the job applies (the applications' generated passwords) come from a Secret in that
 *   namespace; a change of any of them, or of the script, replaces the Job, which runs it again;
 * - network policy lets the job's pods reach DNS, the Pod Identity agent, HTTPS (Secrets Manager,
 *   through the NAT gateway) and the service's port in the private subnets, where the managed
 *   services live: nothing else, and nothing reaches them.
 * The applications' identity (`platform-app`) no longer reads any master secret.
 */
import { readFileSync } from 'node:fs';
import { Construct, Fn, type ITerraformDependable } from '../../providers/cdktf';
import { NamespaceV1, NetworkPolicyV1, SecretV1, ServiceAccountV1 } from '../../providers/kubernetes';
import { JobV1 } from '../../providers/kubernetes-workloads';
import { CURL_IMAGE } from '../../services/tools';
import { adminNamespace } from '../../targets/kubernetes/consumers';
import { platformPodLabels, podPolicy, typedContainerSecurity, typedPod } from '../kubernetes/pod-policy';
import { escapeLiteral, pinAddress } from '../terraform';
import type { AwsContext, Statement } from './context';
import { POD_IDENTITY_AGENT, PodIdentity } from './pod-identity';
import { podSecurityLabels } from '../../targets/kubernetes/naming';
import type { ServerCa } from '../kubernetes/cluster-facts';
import { FETCH_CA_SCRIPT, SERVER_CA_VOLUME } from '../kubernetes/server-ca';

/** Fetches a {username, password} JSON secret from Secrets Manager with the pod's Pod Identity credentials. */
export const FETCH_SECRET_SCRIPT = readFileSync(new URL('./scripts/fetch-secret.sh', import.meta.url), 'utf8');

/** Where the job's `apply` container finds the CA bundle the `fetch-ca` container downloaded (in-memory volume). */
export const CA_DIR = '/run/ca';

/** Where the job's containers find the master's user name and password (in-memory volume). */
export const MASTER_DIR = '/run/master';
/** Where they find the values the job applies (the Secret `<job>-inputs`, one file per key). */
export const INPUTS_DIR = '/run/inputs';
/** The uid and gid both containers run as (the postgres user of the Alpine PostgreSQL image). */
export const ADMIN_JOB_UID = 70;

/** What a managed service needs done as its master user, in the cluster. */
export interface AdminJob {
  /** The job's name (its ServiceAccount, Pod Identity role and Job), e.g. `postgres-roles`. */
  readonly name: string;
  /** What it does, in plain words (the Job's description annotation). */
  readonly purpose: string;
  /** The pinned image that runs `script` (it finds the master in MASTER_DIR, the inputs in INPUTS_DIR). */
  readonly image: string;
  readonly script: string;
  /** Plain environment (addresses, ports; no secret). */
  readonly env: Readonly<Record<string, string>>;
  /** Secret values the script applies, by file name (Terraform references). */
  readonly inputs: Readonly<Record<string, string>>;
  /** The master secret in Secrets Manager ({username, password} JSON) and the statements to read it. */
  readonly master: { readonly secretArn: string; readonly statements: readonly Statement[] };
  /** TCP ports the job reaches in the private subnets (the managed service's). */
  readonly ports: readonly number[];
  /** Seconds the job may take before it fails the apply. */
  readonly timeoutSeconds: number;
  /**
   * The CA bundle that verifies the service's server certificate, downloaded before the job runs
   * (HTTPS, verified against the curl image's CAs) to `CA_DIR/<file>`. @default none
   */
  readonly serverCa?: ServerCa;
}

const RESOURCES = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } };

export class AdminJobs extends Construct {
  readonly namespace: string;
  /** The jobs by the managed service they act for (its dependants wait for them). */
  readonly jobs = new Map<string, JobV1[]>();

  constructor(
    scope: Construct,
    id: string,
    ctx: AwsContext,
    clusterName: string,
    jobs: readonly { readonly service: string; readonly job: AdminJob }[],
    after: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    const name = adminNamespace(ctx.target.eks.namespace);
    this.namespace = name;
    const labels = { 'app.kubernetes.io/part-of': ctx.project, 'agent-platform.io/managed-by': 'aws' };
    const ns = pinAddress(
      new NamespaceV1(this, 'namespace', {
        metadata: {
          name,
          labels: {
            ...labels,
            ...podSecurityLabels('restricted'),
          },
        },
        waitForDefaultServiceAccount: false,
        dependsOn: [...after],
      }),
      'admin',
    );
    const base = [ns];
    pinAddress(
      new NetworkPolicyV1(this, 'default-deny', {
        metadata: { name: 'default-deny', namespace: name, labels },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
        dependsOn: base,
      }),
      'admin',
      'default_deny',
    );
    const tcp = (port: number) => ({ port: String(port), protocol: 'TCP' });
    pinAddress(
      new NetworkPolicyV1(this, 'credentials', {
        metadata: {
          name: 'allow-dns-and-credentials',
          namespace: name,
          labels,
          annotations: {
            'platform/reasons':
              'DNS; the Pod Identity agent (the job role credentials); HTTPS outside the VPC to Secrets Manager (no VPC endpoint: through the NAT gateway)',
          },
        },
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                },
              ],
              ports: [
                { port: '53', protocol: 'UDP' },
                { port: '53', protocol: 'TCP' },
              ],
            },
            { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: [tcp(POD_IDENTITY_AGENT.port)] },
            // AWS APIs outside the VPC (Secrets Manager through the NAT gateway: it is not among the
            // interface endpoints target.vpc offers; if it joins them, its endpoint needs this rule to
            // admit the VPC); inside the VPC only what a job's own policy names (its service's port).
            { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [ctx.target.vpc.cidr] } }], ports: [tcp(443)] },
          ],
        },
        dependsOn: base,
      }),
      'admin',
      'credentials',
    );
    const privateCidrs = ctx.target.vpc.zones.map((z) => z.private);
    for (const { service, job } of jobs) {
      const jid = job.name.replace(/-/g, '_');
      const selector = { 'app.kubernetes.io/name': job.name, 'app.kubernetes.io/component': 'admin-job' };
      // The platform's pod policy: its labels and the restricted security contexts, as every pod's.
      const policy = podPolicy(
        {
          podLabels: platformPodLabels({ project: ctx.project, name: ctx.environmentName, labels: ctx.labels }),
          dataPriorityClass: '',
          cluster: {},
        },
        { selector, user: `${ADMIN_JOB_UID}:${ADMIN_JOB_UID}` },
      );
      const security = typedContainerSecurity(policy, `${ADMIN_JOB_UID}:${ADMIN_JOB_UID}`, true);
      pinAddress(
        new NetworkPolicyV1(this, `${job.name}-egress`, {
          metadata: {
            name: `${job.name}-egress`,
            namespace: name,
            labels,
            annotations: { 'platform/reasons': `${job.name} reaches ${service} (managed, in the private subnets) on its port` },
          },
          spec: {
            podSelector: { matchLabels: selector },
            policyTypes: ['Egress'],
            egress: [{ to: privateCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: job.ports.map(tcp) }],
          },
          dependsOn: base,
        }),
        jid,
        'egress',
      );
      const identity = new PodIdentity(this, ctx, clusterName, {
        name: job.name,
        namespace: name,
        serviceAccount: job.name,
        statements: job.master.statements,
      });
      const sa = pinAddress(
        new ServiceAccountV1(this, `${job.name}-sa`, {
          metadata: { name: job.name, namespace: name, labels: { ...labels, ...selector } },
          automountServiceAccountToken: false,
          dependsOn: base,
        }),
        jid,
      );
      const inputs = pinAddress(
        new SecretV1(this, `${job.name}-inputs`, {
          metadata: { name: `${job.name}-inputs`, namespace: name, labels: { ...labels, ...selector } },
          type: 'Opaque',
          data: { ...job.inputs },
          dependsOn: base,
        }),
        jid,
        'inputs',
      );
      const env = (vars: Readonly<Record<string, string>>) => Object.entries(vars).map(([k, value]) => ({ name: k, value }));
      const common = { HOME: '/tmp', TMPDIR: '/tmp' };
      const job_ = pinAddress(
        new JobV1(this, `${job.name}-job`, {
          metadata: {
            name: job.name,
            namespace: name,
            labels: { ...labels, ...selector },
            annotations: { 'platform/purpose': job.purpose },
          },
          spec: {
            backoffLimit: 3,
            activeDeadlineSeconds: job.timeoutSeconds,
            template: {
              metadata: {
                labels: { ...policy.labels },
              },
              spec: {
                serviceAccountName: sa.metadata.name,
                automountServiceAccountToken: false,
                restartPolicy: 'Never',
                terminationGracePeriodSeconds: 10,
                ...typedPod(policy),
                initContainer: [
                  {
                    name: 'fetch-master',
                    image: CURL_IMAGE,
                    command: ['sh', '-c', escapeLiteral(FETCH_SECRET_SCRIPT)],
                    env: env({ ...common, SECRET_ARN: job.master.secretArn, AWS_REGION: ctx.region, OUT_DIR: MASTER_DIR }),
                    resources: RESOURCES,
                    securityContext: security,
                    volumeMount: [
                      { name: 'master', mountPath: MASTER_DIR },
                      { name: 'tmp', mountPath: '/tmp' },
                    ],
                  },
                  ...(job.serverCa
                    ? [
                        {
                          name: 'fetch-ca',
                          image: CURL_IMAGE,
                          command: ['sh', '-c', escapeLiteral(FETCH_CA_SCRIPT)],
                          env: env({ ...common, CA_URL: job.serverCa.url, CA_FILE: `${CA_DIR}/${job.serverCa.file}` }),
                          resources: RESOURCES,
                          securityContext: security,
                          volumeMount: [
                            { name: 'ca', mountPath: CA_DIR },
                            { name: 'tmp', mountPath: '/tmp' },
                          ],
                        },
                      ]
                    : []),
                ],
                container: [
                  {
                    name: 'apply',
                    image: job.image,
                    command: ['sh', '-c', escapeLiteral(job.script)],
                    // A changed input (a rotated application password) or script changes the pod's spec,
                    // which replaces the Job: the provider plans `spec.template` (and its pod spec) as
                    // ForceNew, and Kubernetes keeps a Job's template immutable.
                    env: env({ ...common, ...job.env, MASTER_DIR, INPUTS_DIR, INPUTS_SHA256: Fn.sha256(Fn.jsonencode(job.inputs)) }),
                    resources: RESOURCES,
                    securityContext: security,
                    volumeMount: [
                      { name: 'master', mountPath: MASTER_DIR, readOnly: true },
                      { name: 'inputs', mountPath: INPUTS_DIR, readOnly: true },
                      { name: 'tmp', mountPath: '/tmp' },
                      ...(job.serverCa ? [{ name: 'ca', mountPath: CA_DIR, readOnly: true }] : []),
                    ],
                  },
                ],
                volume: [
                  { name: 'master', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
                  { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
                  { name: 'inputs', secret: { secretName: inputs.metadata.name, defaultMode: '0440' } },
                  ...(job.serverCa ? [{ name: 'ca', emptyDir: { ...SERVER_CA_VOLUME } }] : []),
                ],
              },
            },
          },
          waitForCompletion: true,
          timeouts: { create: `${Math.ceil(job.timeoutSeconds / 60) + 2}m`, update: `${Math.ceil(job.timeoutSeconds / 60) + 2}m` },
          dependsOn: [...base, sa, inputs, ...(identity.association ? [identity.association] : [])],
        }),
        jid,
      );
      this.jobs.set(service, [...(this.jobs.get(service) ?? []), job_]);
    }
  }
}
