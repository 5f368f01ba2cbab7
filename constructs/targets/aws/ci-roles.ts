/**
 * The CI roles' policies (pure data; the bootstrap stack renders them, stacks/bootstrap-stack.ts):
 *
 * - the deploy role, trusted only by this repository's deploy jobs: a job in one of the GitHub
 *   environments named after the AWS environments (`production`) AND on the deploy branch (`main`).
 *   The `environment:` subject says the first; the `ref` claim the second (AWS STS validates
 *   GitHub's `ref` claim as a condition key since February 2026). It may call what `terraform
 *   apply` needs for every resource type the AWS target renders (iam-actions.ts), scoped to the
 *   project's names where IAM can, and the state;
 * - the plan role, trusted by pull requests of this repository (never forks: they get no OIDC token
 *   with secrets) and by the drift check on the deploy branch: reads only, and the state read-only
 *   (plans run with -lock=false).
 *
 * Policies are split so each fits IAM's size limit for a managed policy (6,144 characters without
 * white space), at most MAX_POLICIES per role. Nothing grants `*` or `service:*`.
 */
import { ATTACHABLE_POLICIES, PASSED_TO_SERVICES, READS, RESOURCE_ACTIONS, SERVICE_LINKED_ROLES, type Service } from './iam-actions';

export const OIDC_HOST = 'token.actions.githubusercontent.com';
export const OIDC_AUDIENCE = 'sts.amazonaws.com';
/** IAM's limit for a managed policy document, white space not counted. */
export const MAX_POLICY_CHARS = 6144;
/** Managed policies attached to one role (IAM's default quota is 10). */
export const MAX_POLICIES = 10;

export interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  /** Absent in trust policies. */
  readonly Resource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Statement[];
}

export interface CiRolesInput {
  readonly project: string;
  readonly accountId: string;
  /** `repo:owner/repository` (or the immutable form). */
  readonly subjectPrefix: string;
  readonly branch: string;
  /** GitHub environments whose jobs deploy with the deploy role (one per AWS environment). */
  readonly deployEnvironments: readonly string[];
  /** Regions the environments deploy to (regional actions are limited to them). */
  readonly regions: readonly string[];
  readonly stateBucket: string;
  /** The state key's ARN (a Terraform reference in the stack). */
  readonly stateKeyArn: string;
}

const doc = (statements: readonly Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
const unique = (xs: readonly string[]) => [...new Set(xs)].sort();

/** Trust of the deploy role: the deploy environments' jobs, on the deploy branch, of this repository. */
export function deployTrust(input: CiRolesInput, providerArn: string): PolicyDocument {
  return doc([
    {
      Sid: 'GitHubDeployJobs',
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${OIDC_HOST}:aud`]: OIDC_AUDIENCE,
          [`${OIDC_HOST}:sub`]: input.deployEnvironments.map((e) => `${input.subjectPrefix}:environment:${e}`),
          [`${OIDC_HOST}:ref`]: `refs/heads/${input.branch}`,
        },
      },
    },
  ]);
}

/** Trust of the plan role: pull requests of this repository, and the deploy branch (the drift check). */
export function planTrust(input: CiRolesInput, providerArn: string): PolicyDocument {
  return doc([
    {
      Sid: 'GitHubPlans',
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${OIDC_HOST}:aud`]: OIDC_AUDIENCE,
          [`${OIDC_HOST}:sub`]: [`${input.subjectPrefix}:pull_request`, `${input.subjectPrefix}:ref:refs/heads/${input.branch}`],
        },
      },
    },
  ]);
}

/** Where each service's writes may land: the project's names where IAM scopes them, else the account (or `*`). */
function writeScope(service: Service, i: CiRolesInput): { resources: string[]; regional: boolean } {
  const a = i.accountId;
  const p = i.project;
  switch (service) {
    case 'iam':
      // The project's roles, the SES relay's user (path /platform/), and EKS clusters' OIDC providers (IRSA).
      return {
        resources: [
          `arn:aws:iam::${a}:role/${p}-*`,
          `arn:aws:iam::${a}:user/platform/${p}-*`,
          `arn:aws:iam::${a}:oidc-provider/oidc.eks.*.amazonaws.com/id/*`,
        ],
        regional: false,
      };
    case 'secretsmanager':
      // The project's secrets, and the master secret RDS creates for the database (rds!db-...).
      return { resources: [`arn:aws:secretsmanager:*:${a}:secret:${p}-*`, `arn:aws:secretsmanager:*:${a}:secret:rds!*`], regional: true };
    case 's3':
      return { resources: [`arn:aws:s3:::${p}-*`], regional: true };
    case 'logs':
      return {
        resources: [`arn:aws:logs:*:${a}:log-group:/aws/eks/${p}-*`, `arn:aws:logs:*:${a}:log-group:/aws/vpc/${p}-*`],
        regional: true,
      };
    case 'eks':
      return { resources: [`arn:aws:eks:*:${a}:*/${p}-*`], regional: true };
    case 'rds':
    case 'elasticache':
      // Creating an instance also names default option groups and snapshots AWS owns the names of.
      return { resources: [`arn:aws:${service}:*:${a}:*`], regional: true };
    case 'es':
      return { resources: [`arn:aws:es:*:${a}:domain/*`], regional: true };
    case 'backup':
      // Plans and selections are named by generated ids, and backup-storage:MountCapsule takes no ARN.
      return { resources: ['*'], regional: true };
    case 'route53':
      // A global service: requests carry us-east-1, so no region condition.
      return { resources: ['*'], regional: false };
    case 'ses':
      return { resources: [`arn:aws:ses:*:${a}:identity/*`], regional: true };
    case 'elasticloadbalancing':
    case 'acm':
      // Create calls take no resource ARN (CreateLoadBalancer, RequestCertificate).
      return { resources: ['*'], regional: true };
    case 'ec2':
    case 'kms':
    case 'mq':
    case 'autoscaling':
      // Create calls take no resource ARN (ec2, kms:CreateKey, mq:CreateBroker); ASGs are named by EKS.
      return { resources: ['*'], regional: true };
  }
}

const inRegions = (i: CiRolesInput) => ({ StringEquals: { 'aws:RequestedRegion': unique(i.regions) } });
const sid = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');

/** What the state needs: the bucket, its objects, the lock files, the key. `write` for the deploy role. */
function stateStatements(i: CiRolesInput, write: boolean): Statement[] {
  const bucket = `arn:aws:s3:::${i.stateBucket}`;
  return [
    { Sid: 'StateList', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket },
    {
      Sid: 'StateObjects',
      Effect: 'Allow',
      Action: write ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      Resource: `${bucket}/*`,
    },
    ...(write ? [{ Sid: 'StateLocks', Effect: 'Allow' as const, Action: 's3:DeleteObject', Resource: `${bucket}/*.tflock` }] : []),
    {
      Sid: 'StateKey',
      Effect: 'Allow',
      Action: write ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
      Resource: i.stateKeyArn,
    },
    { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
  ];
}

/** Every statement of the deploy role, before they are split into policies. */
export function deployStatements(i: CiRolesInput): Statement[] {
  const byService = new Map<Service, string[]>();
  for (const row of Object.values(RESOURCE_ACTIONS))
    for (const action of row.write) {
      const service = action.slice(0, action.indexOf(':')) as Service;
      byService.set(service, [...(byService.get(service) ?? []), action]);
    }
  const statements: Statement[] = [...stateStatements(i, true)];
  for (const [service, actions] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
    const scope = writeScope(service, i);
    // Its writes and its reads: a deploy plans before it applies.
    const all = unique([...actions.filter((x) => !guarded.has(x)), ...READS[service]]);
    statements.push({
      Sid: sid(`Manage ${service}`),
      Effect: 'Allow',
      Action: all,
      Resource: scope.resources.length === 1 ? scope.resources[0]! : scope.resources,
      ...(scope.regional ? { Condition: inRegions(i) } : {}),
    });
  }
  statements.push(...guardedStatements(i));
  return statements;
}

/** Actions that are granted only with conditions (not with their service's other writes). */
const guarded = new Set(['iam:AttachRolePolicy', 'iam:DetachRolePolicy']);

function guardedStatements(i: CiRolesInput): Statement[] {
  const roles = `arn:aws:iam::${i.accountId}:role/${i.project}-*`;
  return [
    {
      Sid: 'AttachOnlyTheRenderersPolicies',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: roles,
      Condition: { ArnEquals: { 'iam:PolicyARN': [...ATTACHABLE_POLICIES] } },
    },
    {
      Sid: 'PassProjectRolesToItsServices',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roles,
      Condition: { StringEquals: { 'iam:PassedToService': [...PASSED_TO_SERVICES] } },
    },
    {
      Sid: 'ServiceLinkedRoles',
      Effect: 'Allow',
      Action: 'iam:CreateServiceLinkedRole',
      Resource: `arn:aws:iam::${i.accountId}:role/aws-service-role/*`,
      Condition: { StringEquals: { 'iam:AWSServiceName': [...SERVICE_LINKED_ROLES] } },
    },
    {
      Sid: 'GrantsForAwsServices',
      Effect: 'Allow',
      Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': true }, ...inRegions(i) },
    },
    {
      Sid: 'SecretValuesThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringLike: { 'kms:ViaService': unique(i.regions).map((r) => `secretsmanager.${r}.amazonaws.com`) } },
    },
  ];
}

/** Every statement of the plan role: reads of every service, the state read-only. */
export function planStatements(i: CiRolesInput): Statement[] {
  const statements: Statement[] = [...stateStatements(i, false)];
  for (const service of Object.keys(READS).sort() as Service[]) {
    const actions = READS[service];
    if (actions.length === 0) continue;
    const scoped = service === 's3' || service === 'secretsmanager';
    const scope = writeScope(service, i);
    // The state bucket's own configuration too (planning the bootstrap reads it).
    if (service === 's3') scope.resources.push(`arn:aws:s3:::${i.stateBucket}`);
    statements.push({
      Sid: sid(`Read ${service}`),
      Effect: 'Allow',
      Action: [...actions],
      Resource: scoped ? (scope.resources.length === 1 ? scope.resources[0]! : scope.resources) : '*',
      ...(service !== 'iam' ? { Condition: inRegions(i) } : {}),
    });
  }
  statements.push({
    Sid: 'SecretValuesThroughSecretsManager',
    Effect: 'Allow',
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { StringLike: { 'kms:ViaService': unique(i.regions).map((r) => `secretsmanager.${r}.amazonaws.com`) } },
  });
  return statements;
}

/**
 * The length IAM counts (no white space), with every Terraform reference counted as the longest ARN
 * it can become (it is resolved at apply).
 */
export function policyChars(policy: PolicyDocument): number {
  return JSON.stringify(policy)
    .replace(/\$\{[^}]*\}/g, 'x'.repeat(120))
    .replace(/\s/g, '').length;
}

/** Statements packed in order into as few documents as fit IAM's size limit. */
export function split(statements: readonly Statement[]): PolicyDocument[] {
  const out: Statement[][] = [[]];
  for (const s of statements) {
    const current = out[out.length - 1]!;
    if (current.length > 0 && policyChars(doc([...current, s])) > MAX_POLICY_CHARS) out.push([s]);
    else current.push(s);
  }
  const docs = out.map(doc);
  const tooBig = docs.find((d) => policyChars(d) > MAX_POLICY_CHARS);
  if (tooBig) throw new Error(`a statement does not fit one IAM policy: ${JSON.stringify(tooBig.Statement[0]).slice(0, 200)}`);
  if (docs.length > MAX_POLICIES) throw new Error(`${docs.length} policies for one role; IAM attaches at most ${MAX_POLICIES}`);
  return docs;
}
