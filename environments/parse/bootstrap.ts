/**
 * The bootstrap file's contract (`bootstrap/account.ts`): what the once-per-account stack `bootstrap`
 * creates before any environment can deploy from CI — the Terraform state bucket and its key, the
 * GitHub OIDC provider, the deploy role and the read-only plan role (docs/delivery.md). Validated
 * here like an environment file; it is not an environment (it lives outside environments/).
 */
import { z } from 'zod';
import { awsRegion } from './aws';
import { ConfigError, formatPath } from './load';
import { plainMessage } from './messages';

const dnsLabel = z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label (lower case, digits, hyphens)');
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name');
/** IAM role names: up to 64 of letters, digits and +=,.@_- */
const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (letters, digits and +=,.@_-, at most 64)');
/** A GitHub account or repository name. */
const githubName = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})$/, 'must be a GitHub owner or repository name');
/**
 * The principals that may use the state bucket and administer its key besides the CI roles, as IAM
 * ARN patterns: a role (`arn:aws:iam::111122223333:role/platform-admin`) or, for IAM Identity
 * Center, `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/*\/AWSReservedSSO_Admin_*`.
 */
const principalPattern = z
  .string()
  .regex(
    /^arn:aws(-[a-z]+)*:iam::\d{12}:(role|user)\/[\w+=,.@/*-]{1,512}$/,
    'must be an IAM role or user ARN (with * where the name varies), e.g. arn:aws:iam::111122223333:role/platform-admin',
  );

export const bootstrapSchema = z
  .strictObject({
    /** Prefix of every name the environments' stacks create (their `project`). @default 'agent-platform' */
    project: dnsLabel.default('agent-platform'),
    /** The account this bootstrap prepares; the provider refuses any other. */
    accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
    /** Where the state bucket and its key live. */
    region: awsRegion,
    github: z.strictObject({
      /** The repository CI runs in: `owner/repository`. */
      owner: githubName,
      repository: githubName,
      /**
       * The numeric ids of the owner and the repository, for GitHub's immutable subject claims
       * (`repo:owner@<id>/repository@<id>:...`): repositories created on or after 15 July 2026 emit
       * them, older ones once opted in. Without ids the trust policies match the legacy name-only
       * form, and a repository that emits the immutable form is refused.
       * @default the legacy name-only subjects
       */
      ids: z.strictObject({ owner: z.number().int().positive(), repository: z.number().int().positive() }).optional(),
      /** The branch deploys come from. @default 'main' */
      branch: z.string().min(1).default('main'),
    }),
    /** The Terraform state bucket (its name is global: include something of yours). */
    stateBucket: bucketName,
    roles: z
      .strictObject({
        /** Assumed by the deploy jobs (GitHub environments of the AWS environments, on the deploy branch). @default 'platform-deploy' */
        deploy: roleName.default('platform-deploy'),
        /** Assumed by pull requests and the drift check: reads only. @default 'platform-plan' */
        plan: roleName.default('platform-plan'),
      })
      .prefault({}),
    /**
     * Who else may use the state bucket and administer its key: the people who run this bootstrap
     * and recover state (the bucket policy refuses everyone else, the CI roles excepted). At least one,
     * or the account's administrators lock themselves out of the state.
     */
    adminPrincipalArns: z.array(principalPattern).min(1, 'needs at least one principal: the one who runs this bootstrap'),
    /**
     * The account's GitHub OIDC provider when one already exists (IAM allows one per URL).
     * @default this stack creates it
     */
    oidcProviderArn: z
      .string()
      .regex(
        /^arn:aws(-[a-z]+)*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
        'must be the ARN of the token.actions.githubusercontent.com provider',
      )
      .optional(),
    /** Noncurrent versions of state files are kept this many days. @default 90 */
    noncurrentVersionDays: z.number().int().min(1).max(3650).default(90),
    /**
     * Where this stack keeps its own state: a local file for the first deploy (the bucket does not
     * exist yet), then the bucket it created (`cdktf deploy bootstrap --migrate-state`).
     */
    backend: z.discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('local'),
        /** Relative to the project root. @default 'terraform.bootstrap.tfstate' */
        path: z.string().min(1).default('terraform.bootstrap.tfstate'),
      }),
      z.strictObject({
        kind: z.literal('s3'),
        /** @default 'bootstrap/terraform.tfstate' */
        key: z.string().min(1).default('bootstrap/terraform.tfstate'),
      }),
    ]),
  })
  .superRefine((b, ctx) => {
    if (b.roles.deploy === b.roles.plan)
      ctx.addIssue({ code: 'custom', path: ['roles', 'plan'], message: 'must differ from roles.deploy' });
    // The deploy role may change every role named <project>-*: it must not be one of them.
    for (const r of ['deploy', 'plan'] as const)
      if (b.roles[r].startsWith(`${b.project}-`))
        ctx.addIssue({
          code: 'custom',
          path: ['roles', r],
          message: `must not start with "${b.project}-": the deploy role may change every role named ${b.project}-*, so it could change its own permissions`,
        });
    if (b.oidcProviderArn && !b.oidcProviderArn.includes(`::${b.accountId}:`))
      ctx.addIssue({ code: 'custom', path: ['oidcProviderArn'], message: `is not in account ${b.accountId}` });
    b.adminPrincipalArns.forEach((arn, i) => {
      if (!arn.includes(`::${b.accountId}:`))
        ctx.addIssue({ code: 'custom', path: ['adminPrincipalArns', i], message: `is not in account ${b.accountId}` });
    });
  });

export type BootstrapInput = z.input<typeof bootstrapSchema>;
export type Bootstrap = z.output<typeof bootstrapSchema> & { readonly file: string };

export interface BootstrapSource {
  readonly file: string;
  readonly input: unknown;
}

/** The bootstrap file, relative to the project root. */
export const BOOTSTRAP_FILE = 'bootstrap/account.ts';

/** The stack id of the bootstrap (no environment may take it). */
export const BOOTSTRAP_STACK = 'bootstrap';

export function loadBootstrap(source: BootstrapSource): Bootstrap {
  const parsed = bootstrapSchema.safeParse(source.input, { reportInput: true });
  if (!parsed.success)
    throw new ConfigError(
      source.file,
      parsed.error.issues.flatMap((i) =>
        i.code === 'unrecognized_keys'
          ? i.keys.map((k) => ({ path: formatPath([...i.path, k]), message: 'unknown field' }))
          : [{ path: formatPath(i.path), message: plainMessage(i) }],
      ),
    );
  return { ...parsed.data, file: source.file };
}

/** `repo:owner/repository`, or with ids `repo:owner@1/repository@2`: what every subject claim of the repository starts with. */
export function subjectPrefix(github: Bootstrap['github']): string {
  return github.ids
    ? `repo:${github.owner}@${github.ids.owner}/${github.repository}@${github.ids.repository}`
    : `repo:${github.owner}/${github.repository}`;
}

export const roleArn = (b: Pick<Bootstrap, 'accountId'>, name: string) => `arn:aws:iam::${b.accountId}:role/${name}`;

/** The state key's alias; environments whose state is in the bucket name it as backend.kmsKeyId (its ARN). */
export const stateKeyAlias = (b: Pick<Bootstrap, 'project'>) => `alias/${b.project}-terraform-state`;
export const stateKeyAliasArn = (b: Pick<Bootstrap, 'project' | 'accountId' | 'region'>) =>
  `arn:aws:kms:${b.region}:${b.accountId}:${stateKeyAlias(b)}`;
