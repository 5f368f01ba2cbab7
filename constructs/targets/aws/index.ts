/**
 * AWS target. So far it configures the AWS provider (region, account guard, default tags); the
 * VPC, EKS with GPU node pools and managed equivalents land with the AWS target issue.
 */
import type { Environment } from '../../../environments/load';
import { AwsProvider } from '../../providers/aws';
import { Construct } from '../../providers/cdktf';

export class AwsTarget extends Construct {
  constructor(scope: Construct, id: string, props: { readonly environment: Environment }) {
    super(scope, id);
    const env = props.environment;
    const target = env.target;
    if (target.kind !== 'aws') throw new Error(`AwsTarget needs an aws target, got ${target.kind}`);
    new AwsProvider(this, 'aws', {
      region: target.region,
      ...(target.accountId ? { allowedAccountIds: [target.accountId] } : {}),
      defaultTags: [{ tags: { Project: env.project, Environment: env.name, ManagedBy: 'cdktf', ...env.labels } }],
    });
  }
}
