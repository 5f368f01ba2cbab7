/** AWS provider classes (per-resource submodules only: the package root costs seconds to load). */
export { AwsProvider } from '@cdktf/provider-aws/lib/provider';
// Network
export { Vpc } from '@cdktf/provider-aws/lib/vpc';
export { Subnet } from '@cdktf/provider-aws/lib/subnet';
export { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
export { Eip } from '@cdktf/provider-aws/lib/eip';
export { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
export { RouteTable } from '@cdktf/provider-aws/lib/route-table';
export { Route } from '@cdktf/provider-aws/lib/route';
export { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
export { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
export { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
export { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
export { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
export { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
export { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
// Logs, keys, identity, secrets
export { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
export { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
export { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
export { IamRole } from '@cdktf/provider-aws/lib/iam-role';
export { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
export { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
export { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
export { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
export { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
export { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
export { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
// EKS and compute
export { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
export { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
export { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
export { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
export { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
export { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
export { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
export { AutoscalingGroupTagA as AutoscalingGroupTag } from '@cdktf/provider-aws/lib/autoscaling-group-tag';
// Managed data services
export { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
export { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
export { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
export { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
export { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
export { ElasticacheParameterGroup } from '@cdktf/provider-aws/lib/elasticache-parameter-group';
export { MqBroker } from '@cdktf/provider-aws/lib/mq-broker';
export { OpensearchDomain } from '@cdktf/provider-aws/lib/opensearch-domain';
export { OpensearchDomainPolicy } from '@cdktf/provider-aws/lib/opensearch-domain-policy';
export { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
export { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
export { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
export { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
export { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
export { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
export type { S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
export { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
export { BackupVault } from '@cdktf/provider-aws/lib/backup-vault';
export { BackupPlan } from '@cdktf/provider-aws/lib/backup-plan';
export { BackupSelection } from '@cdktf/provider-aws/lib/backup-selection';
