/**
 * What every AWS construct of an environment shares: its validated config, names, tags, and IAM
 * policy documents written as JSON (no `aws_iam_policy_document` data source: the policies are
 * data, and a plan reads nothing from AWS).
 */
import type { Environment } from '../../../environments/parse/load';
import { Fn, Token } from '../../providers/cdktf';
import type { AwsTarget } from '../../../environments/parse/aws';
import { profiles } from '../../../environments/parse/profiles';
import { BACKUP_TAG } from '../../targets/aws/backup';

/**
 * The AWS target's configuration and the environment's names and policies; the environment's
 * service configs stay out of it (a managed service knows its spec and facet only).
 */
export class AwsContext {
  readonly target: AwsTarget;
  readonly project: string;
  readonly environmentName: string;
  /** `<project>-<environment>`: the prefix of every AWS name. */
  readonly prefix: string;
  /** The profile's high-availability default for the switches the config leaves unset. */
  readonly highAvailability: boolean;
  /** Keep what holds data from `destroy` (deletion protection, prevent_destroy, retained volumes). */
  readonly protectData: boolean;
  /** The environment's labels (default tags on every AWS resource). */
  readonly labels: Readonly<Record<string, string>>;
  /** The environment's backup policy (absent where backups are off). */
  readonly backups: Environment['backups'];

  constructor(env: Environment) {
    if (env.target.kind !== 'aws') throw new Error(`the AWS target needs an aws target, got ${env.target.kind}`);
    this.target = env.target;
    this.project = env.project;
    this.environmentName = env.name;
    this.prefix = `${env.project}-${env.name}`;
    this.highAvailability = profiles[env.profile].highAvailability;
    this.protectData = env.protectData;
    this.labels = env.labels;
    this.backups = env.backups;
  }

  /** `<project>-<environment>-<parts...>`. */
  name(...parts: string[]): string {
    return [this.prefix, ...parts].join('-');
  }

  /** A Name tag (default tags on the provider carry project, environment and labels). */
  tags(name: string, extra: Record<string, string> = {}): Record<string, string> {
    return { Name: name, ...extra };
  }

  /** The tag AWS Backup selects by, for what holds data (none where backups are off). */
  backupTags(): Record<string, string> {
    return this.backups ? { [BACKUP_TAG]: this.prefix } : {};
  }

  get region(): string {
    return this.target.region;
  }

  get zones(): string[] {
    return this.target.vpc.zones.map((z) => z.name);
  }

  private account?: string;

  /**
   * The account id: `target.accountId`, or else read at apply time from the ARN of a resource this
   * stack creates (`bindAccount`, the VPC's): no `aws_caller_identity` lookup, which a plan without
   * AWS access cannot make.
   */
  get accountId(): string {
    if (this.target.accountId) return this.target.accountId;
    if (!this.account) throw new Error('the account id is read from the VPC ARN: create the network first');
    return this.account;
  }

  /** Where the account id comes from when the config does not say (an ARN created in this stack). */
  bindAccount(arn: string): void {
    this.account ??= Token.asString(Fn.element(Fn.split(':', arn), 4));
  }
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** An IAM policy document as a JSON string (Terraform references inside resolve at apply). */
export function policy(...statements: Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** A trust policy letting an AWS service assume the role. */
export function trust(service: string, actions: readonly string[] = ['sts:AssumeRole']): string {
  return policy({ Effect: 'Allow', Principal: { Service: service }, Action: actions });
}

/** An AWS managed policy ARN. */
export const managedPolicy = (name: string) => `arn:aws:iam::aws:policy/${name}`;
