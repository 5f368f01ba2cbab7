/**
 * The bootstrap stack (stacks/bootstrap-stack.ts) on its fixture and the fixture environments: the
 * state bucket and key, GitHub's OIDC provider, the deploy and plan roles' trust and policies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrapOf, env, synth, synthBootstrap, variant } from './helpers';
import { prepare, prepareAll } from '../stacks/pipeline';
import { BOOTSTRAP_ONLY_TYPES, bootstrapWarnings } from '../stacks/bootstrap-stack';
import { MAX_POLICIES, MAX_POLICY_CHARS, policyChars } from '../constructs/targets/aws/ci-roles';
import { ATTACHABLE_POLICIES, RESOURCE_ACTIONS } from '../constructs/targets/aws/iam-actions';
import { ConfigError } from '../environments/parse/load';

const b = bootstrapOf();
const envs = [env('development'), env('staging'), env('production')];
const { tf } = synthBootstrap(b, envs);
const r: any = tf.resource;
const one = (type: string) => {
  const all = Object.values<any>(r[type] ?? {});
  expect(all, type).toHaveLength(1);
  return all[0];
};
const policyOf = (x: { policy: string }) => JSON.parse(x.policy);
const roles = Object.fromEntries(Object.entries<any>(r.aws_iam_role).map(([k, v]) => [k, v]));
const attached = (role: string) =>
  Object.values<any>(r.aws_iam_role_policy_attachment)
    .filter((a) => a.role === `\${aws_iam_role.${role}.name}`)
    .map((a) => policyOf(r.aws_iam_policy[/aws_iam_policy\.([\w-]+)\.arn/.exec(a.policy_arn)![1]!]));
const actionsOf = (docs: any[]) => docs.flatMap((d) => d.Statement.flatMap((s: any) => [s.Action].flat()));

describe('the state bucket', () => {
  const bucket = one('aws_s3_bucket');
  it('is the configured bucket, kept from destroy and never emptied by Terraform', () => {
    expect(bucket.bucket).toBe(b.stateBucket);
    expect(bucket.force_destroy).toBe(false);
    expect(bucket.lifecycle.prevent_destroy).toBe(true);
  });

  it('is versioned, with old versions expiring after the configured days', () => {
    expect(one('aws_s3_bucket_versioning').versioning_configuration.status).toBe('Enabled');
    const rules = one('aws_s3_bucket_lifecycle_configuration').rule;
    expect(rules.find((x: any) => x.id === 'expire-old-state-versions').noncurrent_version_expiration[0].noncurrent_days).toBe(
      b.noncurrentVersionDays,
    );
  });

  it('is encrypted with its own rotating KMS key (and a bucket key), blocks public access, owns its objects', () => {
    const sse = one('aws_s3_bucket_server_side_encryption_configuration').rule[0];
    expect(sse.apply_server_side_encryption_by_default).toEqual({
      sse_algorithm: 'aws:kms',
      kms_master_key_id: '${aws_kms_key.state.arn}',
    });
    expect(sse.bucket_key_enabled).toBe(true);
    const key = one('aws_kms_key');
    expect(key.enable_key_rotation).toBe(true);
    expect(key.lifecycle.prevent_destroy).toBe(true);
    expect(one('aws_kms_alias').name).toBe('alias/agent-platform-terraform-state');
    const pab = one('aws_s3_bucket_public_access_block');
    for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'])
      expect(pab[k], k).toBe(true);
    expect(one('aws_s3_bucket_ownership_controls').rule.object_ownership).toBe('BucketOwnerEnforced');
  });

  it('refuses plain HTTP, every principal but the CI roles and the administrators, writes by the plan role, non-KMS uploads', () => {
    const statements = policyOf(one('aws_s3_bucket_policy')).Statement;
    const sid = (s: string) => statements.find((x: any) => x.Sid === s);
    expect(statements.every((s: any) => s.Effect === 'Deny')).toBe(true);
    expect(sid('DenyPlainHttp').Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(sid('DenyAllButTheCiRolesAndAdministrators').Condition.ArnNotLike['aws:PrincipalArn']).toEqual([
      'arn:aws:iam::111122223333:role/platform-deploy',
      'arn:aws:iam::111122223333:role/platform-plan',
      ...b.adminPrincipalArns,
    ]);
    expect(sid('DenyWritesByThePlanRole').Action).toContain('s3:PutObject');
    expect(sid('DenyWritesByThePlanRole').Condition.ArnEquals['aws:PrincipalArn']).toBe('arn:aws:iam::111122223333:role/platform-plan');
    expect(sid('DenyBucketChangesByTheCiRoles').Action).toContain('s3:PutBucketPolicy');
    expect(sid('DenyUploadsNotEncryptedWithKms').Condition).toEqual({
      StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' },
    });
  });

  it('the key is administered by the administrators only and used by the CI roles (the account narrowed by principal)', () => {
    const statements = policyOf(one('aws_kms_key')).Statement;
    expect(statements.map((s: any) => s.Principal)).toEqual([
      { AWS: 'arn:aws:iam::111122223333:root' },
      { AWS: 'arn:aws:iam::111122223333:root' },
    ]);
    expect(statements[0].Condition.ArnLike['aws:PrincipalArn']).toEqual(b.adminPrincipalArns);
    expect(statements[1].Action).toEqual(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']);
    expect(actionsOf([policyOf(one('aws_kms_key'))])).not.toContain('kms:*');
  });
});

describe("GitHub's OIDC provider", () => {
  it('is created with the audience STS expects and no thumbprints (AWS ignores them for GitHub)', () => {
    const p = one('aws_iam_openid_connect_provider');
    expect(p.url).toBe('https://token.actions.githubusercontent.com');
    expect(p.client_id_list).toEqual(['sts.amazonaws.com']);
    expect(p.thumbprint_list).toBeUndefined();
  });

  it("is the account's existing one when configured", () => {
    const arn = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';
    const { tf: t }: { tf: any } = synthBootstrap(
      bootstrapOf((i) => (i.oidcProviderArn = arn)),
      envs,
    );
    expect(t.resource.aws_iam_openid_connect_provider).toBeUndefined();
    expect(JSON.parse(t.resource.aws_iam_role.deploy.assume_role_policy).Statement[0].Principal.Federated).toBe(arn);
  });
});

describe('the deploy role', () => {
  const trust = JSON.parse(roles.deploy.assume_role_policy).Statement;
  it("trusts only this repository's deploy jobs on main: production's, and staging's (its state is in the bucket)", () => {
    expect(trust).toHaveLength(1);
    expect(trust[0].Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(trust[0].Principal.Federated).toBe('${aws_iam_openid_connect_provider.github.arn}');
    expect(trust[0].Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:example-org/agent-platform:environment:production',
          'repo:example-org/agent-platform:environment:staging',
        ],
        'token.actions.githubusercontent.com:ref': 'refs/heads/main',
      },
    });
  });

  it('with staging in the cluster, production alone', () => {
    const { tf: t }: { tf: any } = synthBootstrap(b, [env('development'), env('production')]);
    const c = JSON.parse(t.resource.aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals;
    expect(c['token.actions.githubusercontent.com:sub']).toEqual(['repo:example-org/agent-platform:environment:production']);
  });

  it("with ids, trusts GitHub's immutable subject form", () => {
    const { tf: t }: { tf: any } = synthBootstrap(
      bootstrapOf((i) => (i.github.ids = { owner: 123456, repository: 789012 })),
      [env('production')],
    );
    const c = JSON.parse(t.resource.aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals;
    expect(c['token.actions.githubusercontent.com:sub']).toEqual(['repo:example-org@123456/agent-platform@789012:environment:production']);
    const p = JSON.parse(t.resource.aws_iam_role.plan.assume_role_policy).Statement[0].Condition.StringEquals;
    expect(p['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:example-org@123456/agent-platform@789012:pull_request',
      'repo:example-org@123456/agent-platform@789012:ref:refs/heads/main',
    ]);
  });

  it('trusts every environment that deploys to the account, each through its own GitHub environment', () => {
    const second = prepare(
      variant('production', (i) => ((i.name = 'preprod'), (i.backend.key = 'preprod/terraform.tfstate')), 'preprod.ts'),
    );
    const { tf: t }: { tf: any } = synthBootstrap(b, [env('production'), second]);
    const c = JSON.parse(t.resource.aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals;
    expect(c['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:example-org/agent-platform:environment:preprod',
      'repo:example-org/agent-platform:environment:production',
    ]);
  });

  it('is not created when no environment deploys to the account', () => {
    const { tf: t }: { tf: any } = synthBootstrap(b, [env('development')]);
    expect(Object.keys(t.resource.aws_iam_role)).toEqual(['plan']);
  });

  it("may attach only the AWS managed policies the renderer attaches, pass only the project's roles to their services", () => {
    const statements = attached('deploy').flatMap((d) => d.Statement);
    const attach = statements.find((s: any) => [s.Action].flat().includes('iam:AttachRolePolicy'));
    expect(attach.Condition.ArnEquals['iam:PolicyARN']).toEqual([...ATTACHABLE_POLICIES]);
    const pass = statements.find((s: any) => s.Action === 'iam:PassRole');
    expect(pass.Resource).toBe('arn:aws:iam::111122223333:role/agent-platform-*');
    expect(pass.Condition.StringEquals['iam:PassedToService']).toContain('eks.amazonaws.com');
    // Only the guarded statement holds AttachRolePolicy.
    expect(statements.filter((s: any) => [s.Action].flat().includes('iam:AttachRolePolicy'))).toHaveLength(1);
  });

  it('writes the state (and its lock files), reads and writes with the state key', () => {
    const statements = attached('deploy').flatMap((d) => d.Statement);
    expect(statements.find((s: any) => s.Sid === 'StateObjects').Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(statements.find((s: any) => s.Sid === 'StateLocks').Resource).toBe('arn:aws:s3:::agent-platform-terraform-state/*.tflock');
    expect(statements.find((s: any) => s.Sid === 'StateKey').Resource).toBe('${aws_kms_key.state.arn}');
  });
});

describe('the plan role', () => {
  it("trusts this repository's pull requests and the deploy branch (the drift check), nothing else", () => {
    const c = JSON.parse(roles.plan.assume_role_policy).Statement[0].Condition.StringEquals;
    expect(c['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:example-org/agent-platform:pull_request',
      'repo:example-org/agent-platform:ref:refs/heads/main',
    ]);
    expect(c['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
  });

  it('only reads: no action that creates, changes, deletes, tags or passes anything; the state read-only', () => {
    const actions = actionsOf(attached('plan'));
    expect(actions.length).toBeGreaterThan(20);
    const writes = actions.filter((a) =>
      /:(Create|Delete|Put|Update|Modify|Attach|Detach|Associate|Disassociate|Tag|Untag|Authorize|Revoke|Allocate|Release|Replace|Run|Terminate|Reboot|Enable|Disable|Schedule|Restore|Increase|Decrease|Upgrade|Add|Remove|Pass|Encrypt|GenerateDataKey)/.test(
        a,
      ),
    );
    expect(writes).toEqual([]);
    const state = attached('plan')
      .flatMap((d) => d.Statement)
      .find((s: any) => s.Sid === 'StateObjects');
    expect(state.Action).toEqual(['s3:GetObject']);
  });
});

describe('least privilege, checked over every CI policy', () => {
  const all = [...attached('deploy'), ...attached('plan')];

  it('no action is *, a whole service (service:*), or a wildcard other than a read prefix', () => {
    for (const a of actionsOf(all)) {
      expect(a, a).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+\*?$/);
      if (a.endsWith('*')) expect(a, a).toMatch(/:(Describe|List|Get|GetBucket)\*$/);
    }
  });

  it("regional writes are limited to the environments' regions; IAM writes to the project's roles, its SES relay user and EKS clusters' OIDC providers", () => {
    for (const s of attached('deploy').flatMap((d) => d.Statement)) {
      if (String(s.Sid).startsWith('Manage') && !['Manageiam', 'Manageroute53'].includes(s.Sid))
        expect(s.Condition?.StringEquals?.['aws:RequestedRegion'], s.Sid).toEqual(['eu-central-1', 'eu-west-1']);
      if (s.Sid === 'Manageiam')
        expect(s.Resource).toEqual([
          'arn:aws:iam::111122223333:role/agent-platform-*',
          'arn:aws:iam::111122223333:user/platform/agent-platform-*',
          // IRSA (Elasticsearch's snapshots): EKS issuers only, never GitHub's provider (the bootstrap's).
          'arn:aws:iam::111122223333:oidc-provider/oidc.eks.*.amazonaws.com/id/*',
        ]);
    }
  });

  it(`every policy fits IAM's ${MAX_POLICY_CHARS} characters, at most ${MAX_POLICIES} per role`, () => {
    for (const p of Object.values<any>(r.aws_iam_policy))
      expect(policyChars(JSON.parse(p.policy)), p.name).toBeLessThanOrEqual(MAX_POLICY_CHARS);
    expect(attached('deploy').length).toBeLessThanOrEqual(MAX_POLICIES);
    expect(attached('plan').length).toBeLessThanOrEqual(MAX_POLICIES);
  });

  it('the CI roles are named outside the project prefix, so the deploy role cannot change them', () => {
    expect(() => bootstrapOf((i) => (i.roles = { deploy: 'agent-platform-deploy' }))).toThrow(
      /roles\.deploy: must not start with "agent-platform-"/,
    );
  });
});

describe('the permissions cover what the AWS target renders', () => {
  const rendererTypes = [
    ...fs
      .readFileSync(path.join(import.meta.dirname, '..', 'constructs', 'providers', 'aws.ts'), 'utf8')
      .matchAll(/@cdktf\/provider-aws\/lib\/([a-z0-9-]+)'/g),
  ]
    .map((m) => `aws_${m[1]!.replace(/-/g, '_')}`)
    .filter((t) => t !== 'aws_provider' && !(BOOTSTRAP_ONLY_TYPES as readonly string[]).includes(t));

  it('every resource type the boundary exports for the AWS target has its row of actions', () => {
    expect(rendererTypes.length).toBeGreaterThan(40);
    expect(rendererTypes.filter((t) => !RESOURCE_ACTIONS[t])).toEqual([]);
  });

  it('every AWS resource type the fixtures synthesize (OpenSearch included) has its row, every attached policy is attachable', () => {
    const stacks = [
      synth(env('production')).tf,
      synth(prepare(variant('production', (i) => (i.target.managed.elasticsearch = { mode: 'managed', instanceType: 'r6g.large.search' }))))
        .tf,
    ];
    const types = new Set(stacks.flatMap((t) => Object.keys(t.resource).filter((x) => x.startsWith('aws_'))));
    expect(types.has('aws_opensearch_domain')).toBe(true);
    expect([...types].filter((t) => !RESOURCE_ACTIONS[t])).toEqual([]);
    const arns = stacks.flatMap((t) => Object.values<any>(t.resource.aws_iam_role_policy_attachment ?? {}).map((a) => a.policy_arn));
    expect(arns.filter((a) => !(ATTACHABLE_POLICIES as readonly string[]).includes(a))).toEqual([]);
  });
});

describe('what in the environments does not fit the bootstrap', () => {
  it('names the missing plan role, the state key and another account, each at its field', () => {
    const w = bootstrapWarnings(b, envs);
    expect(w).toContain(
      "test/fixtures/production.ts: target.eks.viewRoleArns: does not list the plan role arn:aws:iam::111122223333:role/platform-plan: pull requests' plans cannot refresh what runs in the cluster",
    );
    expect(
      w.some((x) =>
        x.startsWith(
          'test/fixtures/production.ts: backend.kmsKeyId: must be arn:aws:kms:eu-west-1:111122223333:alias/agent-platform-terraform-state',
        ),
      ),
    ).toBe(true);
    expect(w.some((x) => x.startsWith('test/fixtures/staging.ts: backend.kmsKeyId'))).toBe(true);
    const elsewhere = prepare(
      variant('production', (i) => {
        i.target.accountId = '444455556666';
        i.target.eks.adminRoleArns = ['arn:aws:iam::444455556666:role/platform-deploy'];
        i.backend.bucket = 'another-state-bucket';
      }),
    );
    expect(bootstrapWarnings(b, [elsewhere])).toEqual([
      'test/fixtures/production.ts: target.accountId: 444455556666 has no CI roles: test/fixtures/bootstrap.ts prepares account 111122223333',
    ]);
  });

  it('says nothing of an environment that fits', () => {
    const fits = prepare(
      variant('production', (i) => {
        i.target.eks.viewRoleArns = ['arn:aws:iam::111122223333:role/platform-plan'];
        i.backend.kmsKeyId = 'arn:aws:kms:eu-west-1:111122223333:alias/agent-platform-terraform-state';
      }),
    );
    expect(bootstrapWarnings(b, [fits])).toEqual([]);
  });
});

describe('the bootstrap file', () => {
  it('is checked like an environment file: every problem, at its field', () => {
    let error: unknown;
    try {
      bootstrapOf((i) => {
        i.accountId = '1234';
        i.adminPrincipalArns = ['arn:aws:iam::999999999999:role/admin'];
        i.stateBuckt = 'x';
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((x) => `${x.path}: ${x.message}`);
    expect(issues).toContain('accountId: must be a 12-digit AWS account id');
    expect(issues).toContain('stateBuckt: unknown field');
  });

  it('"bootstrap" is not a name an environment can take', () => {
    expect(() => prepareAll([variant('development', (i) => (i.name = 'bootstrap'), 'environments/bootstrap.ts')])).toThrow(
      /name: "bootstrap" is the id of the once-per-account stack/,
    );
  });

  it('keeps its own state locally for the first deploy, then in its bucket with its key', () => {
    expect(Object.keys(tf.terraform.backend)).toEqual(['local']);
    const { tf: t }: { tf: any } = synthBootstrap(
      bootstrapOf((i) => (i.backend = { kind: 's3' })),
      envs,
    );
    expect(t.terraform.backend.s3).toEqual({
      bucket: 'agent-platform-terraform-state',
      key: 'bootstrap/terraform.tfstate',
      region: 'eu-west-1',
      encrypt: true,
      kms_key_id: 'arn:aws:kms:eu-west-1:111122223333:alias/agent-platform-terraform-state',
      use_lockfile: true,
    });
  });
});

describe("IAM's quota on a trust policy", () => {
  it('warns when the deploy role trusts so many environments that its trust policy passes 2,048 characters', () => {
    const many = Array.from({ length: 40 }, (_, i) =>
      prepare(variant('production', (x) => ((x.name = `prod${i}`), (x.backend.key = `prod${i}/terraform.tfstate`)), `prod${i}.ts`)),
    );
    expect(bootstrapWarnings(b, many.slice(0, 2)).some((w) => w.includes('trust policy'))).toBe(false);
    expect(bootstrapWarnings(b, many).find((w) => w.includes('trust policy'))).toMatch(
      /^test\/fixtures\/bootstrap\.ts: roles\.deploy: its trust policy is \d+ characters for 40 environments, over IAM's default quota of 2048/,
    );
  });
});
