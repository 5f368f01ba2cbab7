/**
 * The stack `bootstrap` (bootstrap/account.ts): what an account needs once before any environment
 * deploys from CI, deployed by an administrator (docs/delivery.md, "First deploy"):
 *
 * - the Terraform state bucket: versioned, SSE-KMS with its own key (rotating), public access
 *   blocked, objects owned by the bucket owner, a policy that refuses plain HTTP, refuses every
 *   principal but the CI roles and the listed administrators, refuses writes by the plan role and
 *   uploads encrypted any other way than with KMS; old state versions expire;
 * - GitHub's OIDC provider (or the account's existing one);
 * - the deploy role and the read-only plan role, with the policies of
 *   constructs/targets/aws/ci-roles.ts.
 *
 * The environments it serves are read, not changed: the AWS environments in this account (their
 * GitHub environments are the deploy role's subjects, their regions its regions) and the
 * environments whose state is in the bucket. `bootstrapNotes` says what in them does not fit.
 */
import { backupCopyRegion } from '../constructs/targets/aws/backup';
import * as path from 'node:path';
import { type Construct, LocalBackend, IsolatedStack, S3Backend, TerraformOutput } from '../constructs/providers/cdktf';
import {
  AwsProvider,
  IamOpenidConnectProvider,
  IamPolicy,
  IamRole,
  IamRolePolicyAttachment,
  KmsAlias,
  KmsKey,
  S3Bucket,
  S3BucketLifecycleConfiguration,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  S3BucketVersioningA,
} from '../constructs/providers/aws';
import { pinAddress } from '../constructs/render/terraform';
import {
  type CiRolesInput,
  OIDC_AUDIENCE,
  OIDC_HOST,
  deployStatements,
  deployTrust,
  planStatements,
  planTrust,
  split,
} from '../constructs/targets/aws/ci-roles';
import { BOOTSTRAP_STACK, type Bootstrap, roleArn, stateKeyAlias, stateKeyAliasArn, subjectPrefix } from '../environments/parse/bootstrap';
import type { Environment } from '../environments/parse/load';

/** IAM's default quota for the length of a role's trust policy. */
export const TRUST_POLICY_CHARS = 2048;

/**
 * Resource types only the bootstrap creates (the deploy role is never given them). An environment
 * creates its EKS cluster's OIDC provider itself (IRSA), within the deploy role's scope of EKS issuers.
 */
export const BOOTSTRAP_ONLY_TYPES = ['aws_iam_policy'] as const;

/** The environments the account's CI roles serve: AWS ones in the account, and those whose state is in the bucket. */
export function servedEnvironments(b: Bootstrap, envs: readonly Environment[]) {
  const inAccount = envs.filter((e) => e.target.kind === 'aws' && e.target.accountId === b.accountId);
  const stateInBucket = envs.filter((e) => e.backend.kind === 's3' && e.backend.bucket === b.stateBucket);
  const deploy = [...new Set([...inAccount, ...stateInBucket])].sort((x, y) => x.name.localeCompare(y.name));
  const regions = new Set([b.region]);
  for (const e of inAccount) {
    if (e.target.kind !== 'aws') continue;
    regions.add(e.target.region);
    // AWS Backup's copy vault and its key live in the copy region.
    const copy = e.backups ? backupCopyRegion(e.target) : undefined;
    if (copy) regions.add(copy);
  }
  return { inAccount, stateInBucket, deploy, regions: [...regions].sort() };
}

export function ciRolesInput(b: Bootstrap, envs: readonly Environment[], stateKeyArn: string): CiRolesInput {
  const served = servedEnvironments(b, envs);
  return {
    project: b.project,
    accountId: b.accountId,
    subjectPrefix: subjectPrefix(b.github),
    branch: b.github.branch,
    deployEnvironments: served.deploy.map((e) => e.name),
    regions: served.regions,
    stateBucket: b.stateBucket,
    stateKeyArn,
  };
}

export interface BootstrapStackProps {
  readonly bootstrap: Bootstrap;
  readonly environments: readonly Environment[];
  /** @default 'cdktf.out' */
  readonly outdir?: string;
}

export class BootstrapStack extends IsolatedStack {
  readonly bootstrap: Bootstrap;

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, BOOTSTRAP_STACK);
    const b = props.bootstrap;
    this.bootstrap = b;
    const name = (what: string) => `${b.project}-${what}`;
    const tags = (n: string) => ({ Name: n });

    if (b.backend.kind === 'local') {
      const stackDir = path.posix.join((props.outdir ?? 'cdktf.out').split(path.sep).join('/'), 'stacks', BOOTSTRAP_STACK);
      new LocalBackend(this, { path: path.posix.relative(stackDir, b.backend.path) });
    } else {
      const s3 = new S3Backend(this, {
        bucket: b.stateBucket,
        key: b.backend.key,
        region: b.region,
        encrypt: true,
        kmsKeyId: stateKeyAliasArn(b),
      });
      s3.addOverride('use_lockfile', true);
    }
    new AwsProvider(this, 'aws', {
      region: b.region,
      allowedAccountIds: [b.accountId],
      defaultTags: [{ tags: { Project: b.project, Stack: BOOTSTRAP_STACK, ManagedBy: 'cdktf' } }],
    });

    const deployArn = roleArn(b, b.roles.deploy);
    const planArn = roleArn(b, b.roles.plan);
    const root = `arn:aws:iam::${b.accountId}:root`;

    // The state key: administered by the listed administrators, used by them and the CI roles
    // (the account as principal, narrowed by principal ARN: IAM policies must allow it too).
    const key = pinAddress(
      new KmsKey(this, 'state-key', {
        description: `${b.project}: Terraform state`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AdministratorsAdministerAndUseTheKey',
              Effect: 'Allow',
              Principal: { AWS: root },
              Action: [
                'kms:Create*',
                'kms:Describe*',
                'kms:Enable*',
                'kms:List*',
                'kms:Put*',
                'kms:Update*',
                'kms:Revoke*',
                'kms:Disable*',
                'kms:Get*',
                'kms:Delete*',
                'kms:TagResource',
                'kms:UntagResource',
                'kms:ScheduleKeyDeletion',
                'kms:CancelKeyDeletion',
                'kms:Encrypt',
                'kms:Decrypt',
                'kms:GenerateDataKey',
              ],
              Resource: '*',
              Condition: { ArnLike: { 'aws:PrincipalArn': [...b.adminPrincipalArns] } },
            },
            {
              Sid: 'CiRolesUseTheKey',
              Effect: 'Allow',
              Principal: { AWS: root },
              Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
              Resource: '*',
              Condition: { ArnEquals: { 'aws:PrincipalArn': [deployArn, planArn] } },
            },
          ],
        }),
        tags: tags(name('terraform-state')),
        lifecycle: { preventDestroy: true },
      }),
      'state',
    );
    pinAddress(new KmsAlias(this, 'state-key-alias', { name: stateKeyAlias(b), targetKeyId: key.keyId }), 'state');

    const bucket = pinAddress(
      new S3Bucket(this, 'state-bucket', {
        bucket: b.stateBucket,
        forceDestroy: false,
        tags: tags(b.stateBucket),
        lifecycle: { preventDestroy: true },
      }),
      'state',
    );
    pinAddress(
      new S3BucketOwnershipControls(this, 'state-ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } }),
      'state',
    );
    const publicAccess = pinAddress(
      new S3BucketPublicAccessBlock(this, 'state-public-access', {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
      'state',
    );
    pinAddress(
      new S3BucketVersioningA(this, 'state-versioning', { bucket: bucket.id, versioningConfiguration: { status: 'Enabled' } }),
      'state',
    );
    pinAddress(
      new S3BucketServerSideEncryptionConfigurationA(this, 'state-encryption', {
        bucket: bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
      }),
      'state',
    );
    pinAddress(
      new S3BucketLifecycleConfiguration(this, 'state-lifecycle', {
        bucket: bucket.id,
        rule: [
          {
            id: 'expire-old-state-versions',
            status: 'Enabled',
            filter: [{}],
            noncurrentVersionExpiration: [{ noncurrentDays: b.noncurrentVersionDays }],
          },
          { id: 'abort-incomplete-uploads', status: 'Enabled', filter: [{}], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }] },
        ],
      }),
      'state',
    );
    const objects = [bucket.arn, `${bucket.arn}/*`];
    pinAddress(
      new S3BucketPolicy(this, 'state-policy', {
        bucket: bucket.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyPlainHttp',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: objects,
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
            {
              Sid: 'DenyAllButTheCiRolesAndAdministrators',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: objects,
              Condition: { ArnNotLike: { 'aws:PrincipalArn': [deployArn, planArn, ...b.adminPrincipalArns] } },
            },
            {
              Sid: 'DenyWritesByThePlanRole',
              Effect: 'Deny',
              Principal: '*',
              Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy'],
              Resource: objects,
              Condition: { ArnEquals: { 'aws:PrincipalArn': planArn } },
            },
            {
              // The CI roles may create and change the environments' buckets (<project>-*), never this one's settings.
              Sid: 'DenyBucketChangesByTheCiRoles',
              Effect: 'Deny',
              Principal: '*',
              Action: [
                's3:DeleteBucket',
                's3:DeleteBucketPolicy',
                's3:PutBucketPolicy',
                's3:PutBucketPublicAccessBlock',
                's3:PutBucketVersioning',
                's3:PutEncryptionConfiguration',
                's3:PutLifecycleConfiguration',
                's3:PutBucketOwnershipControls',
                's3:PutBucketAcl',
              ],
              Resource: bucket.arn,
              Condition: { ArnEquals: { 'aws:PrincipalArn': [deployArn, planArn] } },
            },
            {
              Sid: 'DenyUploadsNotEncryptedWithKms',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:PutObject',
              Resource: `${bucket.arn}/*`,
              Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
            },
          ],
        }),
        // A policy that refuses everyone else is put last, once public access is blocked.
        dependsOn: [publicAccess],
      }),
      'state',
    );

    // GitHub's OIDC provider (IAM ignores thumbprints for it; provider 5.100.0 computes the list).
    const providerArn =
      b.oidcProviderArn ??
      pinAddress(
        new IamOpenidConnectProvider(this, 'github-oidc', {
          url: `https://${OIDC_HOST}`,
          clientIdList: [OIDC_AUDIENCE],
          tags: tags('github-actions'),
        }),
        'github',
      ).arn;

    const input = ciRolesInput(b, props.environments, key.arn);
    const role = (
      id: 'deploy' | 'plan',
      trust: string,
      statements: ReturnType<typeof deployStatements>,
      description: string,
      hours: number,
    ) => {
      const r = pinAddress(
        new IamRole(this, `${id}-role`, {
          name: b.roles[id],
          description,
          assumeRolePolicy: trust,
          maxSessionDuration: hours * 3600,
          tags: tags(b.roles[id]),
        }),
        id,
      );
      split(statements).forEach((document, i) => {
        const policy = pinAddress(
          new IamPolicy(this, `${id}-policy-${i + 1}`, {
            name: `${b.roles[id]}-${i + 1}`,
            description: `${description} (${i + 1})`,
            policy: JSON.stringify(document),
            tags: tags(`${b.roles[id]}-${i + 1}`),
          }),
          id,
          String(i + 1),
        );
        pinAddress(new IamRolePolicyAttachment(this, `${id}-attach-${i + 1}`, { role: r.name, policyArn: policy.arn }), id, String(i + 1));
      });
      return r;
    };
    const outputs: Record<string, string> = {};
    if (input.deployEnvironments.length > 0) {
      // A first apply of an environment (EKS, RDS, Amazon MQ) takes longer than an hour.
      const deploy = role(
        'deploy',
        JSON.stringify(deployTrust(input, providerArn)),
        deployStatements(input),
        `${b.project}: terraform apply from ${b.github.owner}/${b.github.repository} (${input.deployEnvironments.join(', ')} on ${b.github.branch})`,
        2,
      );
      outputs.deploy_role_arn = deploy.arn;
    }
    const plan = role(
      'plan',
      JSON.stringify(planTrust(input, providerArn)),
      planStatements(input),
      `${b.project}: terraform plan (read only) from ${b.github.owner}/${b.github.repository} pull requests and ${b.github.branch}`,
      1,
    );
    outputs.plan_role_arn = plan.arn;
    outputs.state_bucket = bucket.bucket;
    outputs.state_key_arn = key.arn;
    outputs.oidc_provider_arn = providerArn;
    for (const [id, value] of Object.entries(outputs)) new TerraformOutput(this, id, { value });
  }
}

/** What in the environments does not fit this bootstrap (each a `file: path: message` line). */
export function bootstrapWarnings(b: Bootstrap, envs: readonly Environment[]): string[] {
  const served = servedEnvironments(b, envs);
  const deployArn = roleArn(b, b.roles.deploy);
  const planArn = roleArn(b, b.roles.plan);
  const out: string[] = [];
  for (const e of served.inAccount) {
    if (e.target.kind !== 'aws') continue;
    if (e.project !== b.project)
      out.push(
        `${e.file}: project: "${e.project}" differs from ${b.file}'s "${b.project}": the deploy role may only change resources named ${b.project}-*`,
      );
    if (!e.target.eks.adminRoleArns.includes(deployArn))
      out.push(
        `${e.file}: target.eks.adminRoleArns: does not list the deploy role ${deployArn}: a deploy from CI cannot reach the cluster's API`,
      );
    if (!e.target.eks.viewRoleArns.includes(planArn))
      out.push(
        `${e.file}: target.eks.viewRoleArns: does not list the plan role ${planArn}: pull requests' plans cannot refresh what runs in the cluster`,
      );
  }
  for (const e of served.stateInBucket) {
    if (e.backend.kind !== 's3') continue;
    const key = e.backend.kmsKeyId;
    if (key !== stateKeyAliasArn(b) && key !== stateKeyAlias(b))
      out.push(
        `${e.file}: backend.kmsKeyId: must be ${stateKeyAliasArn(b)} (the state bucket's key): without it Terraform asks S3 for its own key (AES256), which the bucket refuses`,
      );
  }
  // IAM's default quota for a role's trust policy is 2,048 characters (4,096 on request).
  const trust = JSON.stringify(
    deployTrust(ciRolesInput(b, envs, ''), 'arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com'),
  );
  if (trust.length > TRUST_POLICY_CHARS)
    out.push(
      `${b.file}: roles.deploy: its trust policy is ${trust.length} characters for ${served.deploy.length} environments, over IAM's default quota of ${TRUST_POLICY_CHARS} (raise it to 4,096 in Service Quotas, or split the environments over accounts)`,
    );
  for (const e of envs)
    if (e.target.kind === 'aws' && e.target.accountId && e.target.accountId !== b.accountId)
      out.push(`${e.file}: target.accountId: ${e.target.accountId} has no CI roles: ${b.file} prepares account ${b.accountId}`);
  return out;
}
