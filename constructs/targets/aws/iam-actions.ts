/**
 * What the CI roles may call, per Terraform resource type the AWS target renders (pure data): the
 * bootstrap stack builds the deploy role's and the plan role's policies from it
 * (constructs/targets/aws/ci-roles.ts), and test/bootstrap.test.ts checks that every resource type
 * the AWS renderer can create has its row, so a new resource type cannot ship without its
 * permissions.
 *
 * `write`: what `terraform apply` calls to create, change, tag and delete the type (the AWS API
 * operations terraform-provider-aws 5.100.0 uses for it, as IAM names them). Reads are per service
 * (`READS`): what `terraform plan` calls to refresh; the plan role gets only those. Actions that
 * must be scoped (passing a role, service-linked roles, grants) are not here but in ci-roles.ts with
 * their conditions. No row may hold a wildcard other than a read prefix (`Describe*`, `List*`,
 * `Get*` in READS); test/bootstrap.test.ts checks it.
 *
 * [reasoned] from the AWS Service Authorization Reference's action names and the provider's API
 * calls; not run against an account here. An apply that lacks an action fails with AccessDenied
 * naming it: add it to its row (docs/delivery.md, "When the deploy role is denied").
 */

/** IAM service prefixes the AWS target's resources belong to. */
export type Service =
  | 'ec2'
  | 'eks'
  | 'autoscaling'
  | 'iam'
  | 'kms'
  | 'logs'
  | 'secretsmanager'
  | 'rds'
  | 'elasticache'
  | 'mq'
  | 'es'
  | 's3'
  | 'route53'
  | 'elasticloadbalancing'
  | 'acm'
  | 'ses'
  | 'backup';

export interface TypeActions {
  readonly service: Service;
  readonly write: readonly string[];
}

const ec2 = (...actions: string[]) => actions.map((a) => `ec2:${a}`);

/** One row per Terraform resource type the AWS renderer can create (constructs/providers/aws.ts). */
export const RESOURCE_ACTIONS: Readonly<Record<string, TypeActions>> = {
  aws_vpc: { service: 'ec2', write: ec2('CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute') },
  aws_subnet: { service: 'ec2', write: ec2('CreateSubnet', 'DeleteSubnet', 'ModifySubnetAttribute') },
  aws_internet_gateway: {
    service: 'ec2',
    write: ec2('CreateInternetGateway', 'DeleteInternetGateway', 'AttachInternetGateway', 'DetachInternetGateway'),
  },
  aws_eip: { service: 'ec2', write: ec2('AllocateAddress', 'ReleaseAddress', 'DisassociateAddress') },
  aws_nat_gateway: { service: 'ec2', write: ec2('CreateNatGateway', 'DeleteNatGateway') },
  aws_route_table: { service: 'ec2', write: ec2('CreateRouteTable', 'DeleteRouteTable') },
  aws_route: { service: 'ec2', write: ec2('CreateRoute', 'DeleteRoute', 'ReplaceRoute') },
  aws_route_table_association: {
    service: 'ec2',
    write: ec2('AssociateRouteTable', 'DisassociateRouteTable', 'ReplaceRouteTableAssociation'),
  },
  // Passing the flow-logs role is granted in ci-roles.ts (PassRole to vpc-flow-logs only).
  aws_flow_log: { service: 'ec2', write: ec2('CreateFlowLogs', 'DeleteFlowLogs') },
  // Private DNS of an interface endpoint associates the VPC with AWS's private hosted zone.
  aws_vpc_endpoint: {
    service: 'ec2',
    write: [...ec2('CreateVpcEndpoint', 'DeleteVpcEndpoints', 'ModifyVpcEndpoint'), 'route53:AssociateVPCWithHostedZone'],
  },
  // Adopted at create (its rules revoked), never created or deleted.
  aws_default_security_group: {
    service: 'ec2',
    write: ec2('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress'),
  },
  // Creating one revokes the default allow-all egress rule.
  aws_security_group: {
    service: 'ec2',
    write: ec2('CreateSecurityGroup', 'DeleteSecurityGroup', 'RevokeSecurityGroupEgress', 'RevokeSecurityGroupIngress'),
  },
  aws_vpc_security_group_ingress_rule: {
    service: 'ec2',
    write: ec2(
      'AuthorizeSecurityGroupIngress',
      'RevokeSecurityGroupIngress',
      'ModifySecurityGroupRules',
      'UpdateSecurityGroupRuleDescriptionsIngress',
    ),
  },
  aws_vpc_security_group_egress_rule: {
    service: 'ec2',
    write: ec2(
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupEgress',
      'ModifySecurityGroupRules',
      'UpdateSecurityGroupRuleDescriptionsEgress',
    ),
  },
  aws_launch_template: {
    service: 'ec2',
    write: ec2(
      'CreateLaunchTemplate',
      'DeleteLaunchTemplate',
      'CreateLaunchTemplateVersion',
      'ModifyLaunchTemplate',
      'DeleteLaunchTemplateVersions',
    ),
  },
  aws_cloudwatch_log_group: {
    service: 'logs',
    write: [
      'logs:CreateLogGroup',
      'logs:DeleteLogGroup',
      'logs:PutRetentionPolicy',
      'logs:DeleteRetentionPolicy',
      'logs:AssociateKmsKey',
      'logs:DisassociateKmsKey',
      'logs:TagResource',
      'logs:UntagResource',
      'logs:TagLogGroup',
      'logs:UntagLogGroup',
    ],
  },
  aws_kms_key: {
    service: 'kms',
    write: [
      'kms:CreateKey',
      'kms:ScheduleKeyDeletion',
      'kms:EnableKeyRotation',
      'kms:DisableKeyRotation',
      'kms:PutKeyPolicy',
      'kms:UpdateKeyDescription',
      'kms:EnableKey',
      'kms:DisableKey',
      'kms:TagResource',
      'kms:UntagResource',
    ],
  },
  aws_kms_alias: { service: 'kms', write: ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'] },
  aws_iam_role: {
    service: 'iam',
    write: ['iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole'],
  },
  aws_iam_role_policy: { service: 'iam', write: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'] },
  // The EKS cluster's OIDC provider (IRSA); scoped in ci-roles.ts to EKS issuers (GitHub's is the bootstrap's).
  aws_iam_openid_connect_provider: {
    service: 'iam',
    write: [
      'iam:CreateOpenIDConnectProvider',
      'iam:DeleteOpenIDConnectProvider',
      'iam:UpdateOpenIDConnectProviderThumbprint',
      'iam:AddClientIDToOpenIDConnectProvider',
      'iam:RemoveClientIDFromOpenIDConnectProvider',
      'iam:TagOpenIDConnectProvider',
      'iam:UntagOpenIDConnectProvider',
    ],
  },
  // Limited in ci-roles.ts to the AWS managed policies the renderer attaches (ATTACHABLE_POLICIES).
  aws_iam_role_policy_attachment: { service: 'iam', write: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'] },
  aws_secretsmanager_secret: {
    service: 'secretsmanager',
    write: [
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:UpdateSecret',
      'secretsmanager:RestoreSecret',
      'secretsmanager:TagResource',
      'secretsmanager:UntagResource',
    ],
  },
  aws_secretsmanager_secret_version: {
    service: 'secretsmanager',
    write: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
  },
  aws_eks_cluster: {
    service: 'eks',
    write: [
      'eks:CreateCluster',
      'eks:DeleteCluster',
      'eks:UpdateClusterConfig',
      'eks:UpdateClusterVersion',
      'eks:AssociateEncryptionConfig',
      'eks:TagResource',
      'eks:UntagResource',
    ],
  },
  aws_eks_node_group: {
    service: 'eks',
    write: [
      'eks:CreateNodegroup',
      'eks:DeleteNodegroup',
      'eks:UpdateNodegroupConfig',
      'eks:UpdateNodegroupVersion',
      'eks:TagResource',
      'eks:UntagResource',
    ],
  },
  aws_eks_addon: {
    service: 'eks',
    write: ['eks:CreateAddon', 'eks:DeleteAddon', 'eks:UpdateAddon', 'eks:TagResource', 'eks:UntagResource'],
  },
  aws_eks_access_entry: {
    service: 'eks',
    write: ['eks:CreateAccessEntry', 'eks:DeleteAccessEntry', 'eks:UpdateAccessEntry', 'eks:TagResource', 'eks:UntagResource'],
  },
  aws_eks_access_policy_association: { service: 'eks', write: ['eks:AssociateAccessPolicy', 'eks:DisassociateAccessPolicy'] },
  aws_eks_pod_identity_association: {
    service: 'eks',
    write: [
      'eks:CreatePodIdentityAssociation',
      'eks:DeletePodIdentityAssociation',
      'eks:UpdatePodIdentityAssociation',
      'eks:TagResource',
      'eks:UntagResource',
    ],
  },
  aws_autoscaling_group_tag: { service: 'autoscaling', write: ['autoscaling:CreateOrUpdateTags', 'autoscaling:DeleteTags'] },
  // manage_master_user_password: RDS creates the master secret with the caller's permissions.
  aws_db_instance: {
    service: 'rds',
    write: [
      'rds:CreateDBInstance',
      'rds:DeleteDBInstance',
      'rds:ModifyDBInstance',
      'rds:RebootDBInstance',
      'rds:AddTagsToResource',
      'rds:RemoveTagsFromResource',
      'secretsmanager:CreateSecret',
      'secretsmanager:TagResource',
    ],
  },
  aws_db_parameter_group: {
    service: 'rds',
    write: [
      'rds:CreateDBParameterGroup',
      'rds:DeleteDBParameterGroup',
      'rds:ModifyDBParameterGroup',
      'rds:ResetDBParameterGroup',
      'rds:AddTagsToResource',
      'rds:RemoveTagsFromResource',
    ],
  },
  aws_db_subnet_group: {
    service: 'rds',
    write: [
      'rds:CreateDBSubnetGroup',
      'rds:DeleteDBSubnetGroup',
      'rds:ModifyDBSubnetGroup',
      'rds:AddTagsToResource',
      'rds:RemoveTagsFromResource',
    ],
  },
  aws_elasticache_replication_group: {
    service: 'elasticache',
    write: [
      'elasticache:CreateReplicationGroup',
      'elasticache:DeleteReplicationGroup',
      'elasticache:ModifyReplicationGroup',
      'elasticache:IncreaseReplicaCount',
      'elasticache:DecreaseReplicaCount',
      'elasticache:AddTagsToResource',
      'elasticache:RemoveTagsFromResource',
    ],
  },
  aws_elasticache_subnet_group: {
    service: 'elasticache',
    write: [
      'elasticache:CreateCacheSubnetGroup',
      'elasticache:DeleteCacheSubnetGroup',
      'elasticache:ModifyCacheSubnetGroup',
      'elasticache:AddTagsToResource',
      'elasticache:RemoveTagsFromResource',
    ],
  },
  // ElastiCache's users (RBAC) and their group; the replication group names the group it uses.
  aws_elasticache_user: {
    service: 'elasticache',
    write: [
      'elasticache:CreateUser',
      'elasticache:DeleteUser',
      'elasticache:ModifyUser',
      'elasticache:AddTagsToResource',
      'elasticache:RemoveTagsFromResource',
    ],
  },
  aws_elasticache_user_group: {
    service: 'elasticache',
    write: [
      'elasticache:CreateUserGroup',
      'elasticache:DeleteUserGroup',
      'elasticache:ModifyUserGroup',
      'elasticache:AddTagsToResource',
      'elasticache:RemoveTagsFromResource',
    ],
  },
  aws_elasticache_parameter_group: {
    service: 'elasticache',
    write: [
      'elasticache:CreateCacheParameterGroup',
      'elasticache:DeleteCacheParameterGroup',
      'elasticache:ModifyCacheParameterGroup',
      'elasticache:ResetCacheParameterGroup',
      'elasticache:AddTagsToResource',
      'elasticache:RemoveTagsFromResource',
    ],
  },
  // Amazon MQ creates the broker's network interfaces with the caller's permissions.
  aws_mq_broker: {
    service: 'mq',
    write: [
      'mq:CreateBroker',
      'mq:DeleteBroker',
      'mq:UpdateBroker',
      'mq:RebootBroker',
      'mq:CreateUser',
      'mq:UpdateUser',
      'mq:DeleteUser',
      'mq:CreateTags',
      'mq:DeleteTags',
      ...ec2(
        'CreateNetworkInterface',
        'CreateNetworkInterfacePermission',
        'DeleteNetworkInterface',
        'DeleteNetworkInterfacePermission',
        'DetachNetworkInterface',
      ),
    ],
  },
  aws_opensearch_domain: {
    service: 'es',
    write: ['es:CreateDomain', 'es:DeleteDomain', 'es:UpdateDomainConfig', 'es:UpgradeDomain', 'es:AddTags', 'es:RemoveTags'],
  },
  aws_opensearch_domain_policy: { service: 'es', write: ['es:UpdateDomainConfig'] },
  aws_s3_bucket: { service: 's3', write: ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutBucketTagging'] },
  aws_s3_bucket_versioning: { service: 's3', write: ['s3:PutBucketVersioning'] },
  aws_s3_bucket_server_side_encryption_configuration: { service: 's3', write: ['s3:PutEncryptionConfiguration'] },
  aws_s3_bucket_public_access_block: { service: 's3', write: ['s3:PutBucketPublicAccessBlock'] },
  aws_s3_bucket_policy: { service: 's3', write: ['s3:PutBucketPolicy', 's3:DeleteBucketPolicy'] },
  aws_s3_bucket_lifecycle_configuration: { service: 's3', write: ['s3:PutLifecycleConfiguration'] },
  aws_s3_bucket_ownership_controls: { service: 's3', write: ['s3:PutBucketOwnershipControls'] },
  // The public edge (constructs/render/aws/edge.ts): an ALB for HTTPS, an NLB for mail, their
  // listeners, rules and target groups, the system groups' ASGs attached to the target groups.
  aws_lb: {
    service: 'elasticloadbalancing',
    write: [
      'elasticloadbalancing:CreateLoadBalancer',
      'elasticloadbalancing:DeleteLoadBalancer',
      'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:SetSecurityGroups',
      'elasticloadbalancing:SetSubnets',
      'elasticloadbalancing:SetIpAddressType',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
  },
  aws_lb_listener: {
    service: 'elasticloadbalancing',
    write: [
      'elasticloadbalancing:CreateListener',
      'elasticloadbalancing:DeleteListener',
      'elasticloadbalancing:ModifyListener',
      'elasticloadbalancing:ModifyListenerAttributes',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
  },
  aws_lb_listener_rule: {
    service: 'elasticloadbalancing',
    write: [
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:SetRulePriorities',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
  },
  aws_lb_target_group: {
    service: 'elasticloadbalancing',
    write: [
      'elasticloadbalancing:CreateTargetGroup',
      'elasticloadbalancing:DeleteTargetGroup',
      'elasticloadbalancing:ModifyTargetGroup',
      'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:AddTags',
      'elasticloadbalancing:RemoveTags',
    ],
  },
  aws_autoscaling_attachment: {
    service: 'autoscaling',
    write: [
      'autoscaling:AttachLoadBalancerTargetGroups',
      'autoscaling:DetachLoadBalancerTargetGroups',
      'autoscaling:AttachTrafficSources',
      'autoscaling:DetachTrafficSources',
    ],
  },
  aws_acm_certificate: {
    service: 'acm',
    write: [
      'acm:RequestCertificate',
      'acm:DeleteCertificate',
      'acm:UpdateCertificateOptions',
      'acm:AddTagsToCertificate',
      'acm:RemoveTagsFromCertificate',
    ],
  },
  // Creates nothing: waits, reading the certificate (READS), until ACM has validated it.
  aws_acm_certificate_validation: { service: 'acm', write: [] },
  aws_route53_record: { service: 'route53', write: ['route53:ChangeResourceRecordSets'] },
  // The SES relay (constructs/render/aws/mail.ts): the domain's identity with BYODKIM, its custom
  // MAIL FROM, and an IAM user whose access key is the SMTP credential.
  aws_sesv2_email_identity: {
    service: 'ses',
    write: [
      'ses:CreateEmailIdentity',
      'ses:DeleteEmailIdentity',
      'ses:PutEmailIdentityDkimSigningAttributes',
      'ses:PutEmailIdentityConfigurationSetAttributes',
      'ses:TagResource',
      'ses:UntagResource',
    ],
  },
  aws_sesv2_email_identity_mail_from_attributes: { service: 'ses', write: ['ses:PutEmailIdentityMailFromAttributes'] },
  aws_iam_user: { service: 'iam', write: ['iam:CreateUser', 'iam:DeleteUser', 'iam:UpdateUser', 'iam:TagUser', 'iam:UntagUser'] },
  aws_iam_user_policy: { service: 'iam', write: ['iam:PutUserPolicy', 'iam:DeleteUserPolicy'] },
  aws_iam_access_key: { service: 'iam', write: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:UpdateAccessKey'] },
  // [reasoned] AWS documents backup-storage:MountCapsule for CreateBackupVault too; it is another IAM
  // service prefix (not a row here yet): an AccessDenied naming it goes to its own row.
  aws_backup_vault: {
    service: 'backup',
    write: ['backup:CreateBackupVault', 'backup:DeleteBackupVault', 'backup:TagResource', 'backup:UntagResource'],
  },
  aws_backup_plan: {
    service: 'backup',
    write: ['backup:CreateBackupPlan', 'backup:UpdateBackupPlan', 'backup:DeleteBackupPlan', 'backup:TagResource', 'backup:UntagResource'],
  },
  aws_secretsmanager_secret_rotation: {
    service: 'secretsmanager',
    write: ['secretsmanager:RotateSecret', 'secretsmanager:CancelRotateSecret'],
  },
  aws_backup_selection: { service: 'backup', write: ['backup:CreateBackupSelection', 'backup:DeleteBackupSelection'] },
};

/**
 * What `terraform plan` calls to refresh each service's resources: the plan role's whole grant
 * (plus the state, ci-roles.ts). Read prefixes where the service's read operations are all
 * metadata; named actions where a prefix would also read data or account-wide secrets.
 */
export const READS: Readonly<Record<Service, readonly string[]>> = {
  ec2: ['ec2:Describe*'],
  eks: ['eks:Describe*', 'eks:List*'],
  autoscaling: ['autoscaling:Describe*'],
  iam: [
    'iam:GetRole',
    'iam:GetRolePolicy',
    'iam:ListRolePolicies',
    'iam:ListAttachedRolePolicies',
    'iam:ListInstanceProfilesForRole',
    'iam:ListRoleTags',
    'iam:GetPolicy',
    'iam:GetPolicyVersion',
    'iam:ListPolicyVersions',
    'iam:GetOpenIDConnectProvider',
    'iam:ListOpenIDConnectProviderTags',
    // The SES relay's user (deleting it lists what is attached to it).
    'iam:GetUser',
    'iam:GetUserPolicy',
    'iam:ListUserPolicies',
    'iam:ListUserTags',
    'iam:ListAccessKeys',
    'iam:ListAttachedUserPolicies',
    'iam:ListGroupsForUser',
  ],
  backup: ['backup:Describe*', 'backup:Get*', 'backup:List*'],
  kms: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags', 'kms:ListAliases'],
  logs: ['logs:DescribeLogGroups', 'logs:ListTagsForResource', 'logs:ListTagsLogGroup'],
  // The values of the project's secrets: refreshing aws_secretsmanager_secret_version reads them.
  secretsmanager: [
    'secretsmanager:DescribeSecret',
    'secretsmanager:GetResourcePolicy',
    'secretsmanager:GetSecretValue',
    'secretsmanager:ListSecretVersionIds',
  ],
  rds: ['rds:Describe*', 'rds:ListTagsForResource'],
  elasticache: ['elasticache:Describe*', 'elasticache:ListTagsForResource'],
  mq: ['mq:DescribeBroker', 'mq:DescribeUser', 'mq:ListBrokers', 'mq:ListUsers', 'mq:ListTags'],
  es: ['es:DescribeDomain', 'es:DescribeDomains', 'es:DescribeDomainConfig', 'es:ListTags'],
  // Bucket configuration only: object reads need object ARNs, which the plan role is not given.
  s3: [
    's3:ListBucket',
    's3:GetBucketAcl',
    's3:GetBucketCORS',
    's3:GetBucketLocation',
    's3:GetBucketLogging',
    's3:GetBucketObjectLockConfiguration',
    's3:GetBucketOwnershipControls',
    's3:GetBucketPolicy',
    's3:GetBucketPolicyStatus',
    's3:GetBucketPublicAccessBlock',
    's3:GetBucketRequestPayment',
    's3:GetBucketTagging',
    's3:GetBucketVersioning',
    's3:GetBucketWebsite',
    's3:GetAccelerateConfiguration',
    's3:GetEncryptionConfiguration',
    's3:GetLifecycleConfiguration',
    's3:GetReplicationConfiguration',
  ],
  route53: ['route53:GetHostedZone', 'route53:ListResourceRecordSets', 'route53:GetChange'],
  elasticloadbalancing: ['elasticloadbalancing:Describe*'],
  acm: ['acm:DescribeCertificate', 'acm:ListTagsForCertificate'],
  ses: ['ses:GetEmailIdentity', 'ses:ListTagsForResource'],
};

/**
 * The AWS managed policies the renderer attaches to the roles it creates: the only ones the deploy
 * role may attach (a condition on iam:PolicyARN), so it cannot attach AdministratorAccess to a role
 * it creates. test/bootstrap.test.ts checks every attachment the AWS stacks synthesize is here.
 */
export const ATTACHABLE_POLICIES = [
  'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy',
  'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly',
  'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
  // AWS Backup's service role (constructs/render/aws/backup.ts).
  'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
  'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
  'arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup',
  'arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore',
] as const;

/** Services whose roles the AWS target passes (iam:PassedToService). */
export const PASSED_TO_SERVICES = [
  'eks.amazonaws.com',
  'ec2.amazonaws.com',
  'vpc-flow-logs.amazonaws.com',
  'pods.eks.amazonaws.com',
  'backup.amazonaws.com',
] as const;

/** Service-linked roles the managed services create on first use (iam:AWSServiceName). */
export const SERVICE_LINKED_ROLES = [
  'eks.amazonaws.com',
  'eks-nodegroup.amazonaws.com',
  'autoscaling.amazonaws.com',
  'rds.amazonaws.com',
  'elasticache.amazonaws.com',
  'mq.amazonaws.com',
  'opensearchservice.amazonaws.com',
  'elasticloadbalancing.amazonaws.com',
] as const;
