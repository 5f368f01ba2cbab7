/**
 * The VPC: per zone a public, a private and an intra subnet from the environment's config; NAT per
 * zone or one for all (profile); flow logs of all traffic to a KMS-encrypted CloudWatch log group,
 * written by a role only this account's flow logs may assume; an S3 gateway endpoint so that S3
 * traffic from private and intra subnets stays off NAT, and interface endpoints (ECR, STS by
 * default) for the nodes. The default security group is emptied so nothing lands in an open group
 * by accident.
 */
import { Construct } from '../../providers/cdktf';
import {
  CloudwatchLogGroup,
  DefaultSecurityGroup,
  Eip,
  FlowLog,
  IamRole,
  IamRolePolicy,
  InternetGateway,
  NatGateway,
  Route,
  RouteTable,
  RouteTableAssociation,
  Subnet,
  Vpc,
  VpcEndpoint,
  KmsKey,
  SecurityGroup,
  VpcSecurityGroupIngressRule,
} from '../../providers/aws';
import { pinAddress } from '../terraform';
import { type AwsContext, policy } from './context';
import { logGroupNames } from './keys';

export interface ZoneSubnets {
  readonly zone: string;
  readonly public: Subnet;
  readonly private: Subnet;
  readonly intra: Subnet;
}

export class Network extends Construct {
  readonly vpc: Vpc;
  readonly zones: readonly ZoneSubnets[];

  constructor(scope: Construct, id: string, ctx: AwsContext) {
    super(scope, id);
    const cfg = ctx.target.vpc;
    const vpcName = ctx.name('vpc');
    this.vpc = pinAddress(
      new Vpc(this, 'vpc', { cidrBlock: cfg.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: ctx.tags(vpcName) }),
      'vpc',
    );
    const vpcId = this.vpc.id;
    ctx.bindAccount(this.vpc.arn);
    pinAddress(new DefaultSecurityGroup(this, 'default-sg', { vpcId, tags: ctx.tags(`${vpcName}-default-unused`) }), 'default');
    const igw = pinAddress(new InternetGateway(this, 'igw', { vpcId, tags: ctx.tags(vpcName) }), 'vpc');

    this.zones = cfg.zones.map((z) => {
      const subnet = (tier: 'public' | 'private' | 'intra', extra: Record<string, string>) =>
        pinAddress(
          new Subnet(this, `${tier}-${z.name}`, {
            vpcId,
            availabilityZone: z.name,
            cidrBlock: z[tier],
            mapPublicIpOnLaunch: false,
            tags: ctx.tags(ctx.name(tier, z.name), { tier, ...extra }),
          }),
          tier,
          z.name,
        );
      return {
        zone: z.name,
        // Load balancer placement for the AWS Load Balancer Controller.
        public: subnet('public', { 'kubernetes.io/role/elb': '1' }),
        private: subnet('private', { 'kubernetes.io/role/internal-elb': '1' }),
        intra: subnet('intra', {}),
      };
    });

    // Public: one route table, default route to the internet gateway.
    const publicRt = pinAddress(new RouteTable(this, 'public-rt', { vpcId, tags: ctx.tags(ctx.name('public')) }), 'public');
    pinAddress(
      new Route(this, 'public-default', { routeTableId: publicRt.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id }),
      'public_default',
    );

    // NAT gateways: one per zone, or one in the first zone.
    const natMode = cfg.natGateways ?? (ctx.highAvailability ? 'per-zone' : 'single');
    const natZones = natMode === 'per-zone' ? this.zones : this.zones.slice(0, 1);
    const nats = new Map<string, NatGateway>();
    for (const z of natZones) {
      const eip = pinAddress(new Eip(this, `nat-eip-${z.zone}`, { domain: 'vpc', tags: ctx.tags(ctx.name('nat', z.zone)) }), 'nat', z.zone);
      nats.set(
        z.zone,
        pinAddress(
          new NatGateway(this, `nat-${z.zone}`, {
            allocationId: eip.allocationId,
            subnetId: z.public.id,
            tags: ctx.tags(ctx.name('nat', z.zone)),
            // A NAT gateway needs the internet gateway attached to route anything (provider docs).
            dependsOn: [igw],
          }),
          'nat',
          z.zone,
        ),
      );
    }

    const privateRts: RouteTable[] = [];
    for (const z of this.zones) {
      pinAddress(
        new RouteTableAssociation(this, `public-${z.zone}-rta`, { subnetId: z.public.id, routeTableId: publicRt.id }),
        'public',
        z.zone,
      );
      const rt = pinAddress(
        new RouteTable(this, `private-rt-${z.zone}`, { vpcId, tags: ctx.tags(ctx.name('private', z.zone)) }),
        'private',
        z.zone,
      );
      privateRts.push(rt);
      const nat = nats.get(z.zone) ?? nats.get(natZones[0]!.zone)!;
      pinAddress(
        new Route(this, `private-default-${z.zone}`, { routeTableId: rt.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.id }),
        'private_default',
        z.zone,
      );
      pinAddress(
        new RouteTableAssociation(this, `private-${z.zone}-rta`, { subnetId: z.private.id, routeTableId: rt.id }),
        'private',
        z.zone,
      );
    }
    // Intra: local routes only (plus the S3 endpoint below), no egress.
    const intraRt = pinAddress(new RouteTable(this, 'intra-rt', { vpcId, tags: ctx.tags(ctx.name('intra')) }), 'intra');
    for (const z of this.zones) {
      pinAddress(
        new RouteTableAssociation(this, `intra-${z.zone}-rta`, { subnetId: z.intra.id, routeTableId: intraRt.id }),
        'intra',
        z.zone,
      );
    }

    pinAddress(
      new VpcEndpoint(this, 's3-endpoint', {
        vpcId,
        serviceName: `com.amazonaws.${ctx.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: [...privateRts.map((r) => r.id), intraRt.id],
        tags: ctx.tags(ctx.name('s3')),
      }),
      's3',
    );
  }

  /**
   * Flow logs: every accepted and rejected flow, to a log group encrypted with the logs key, through
   * a role that only the VPC flow-logs service acting for this account's flow logs may assume
   * (`aws:SourceAccount`, `aws:SourceArn`: the confused-deputy guard AWS documents for service roles).
   */
  flowLogs(ctx: AwsContext, key: KmsKey): void {
    const cfg = ctx.target.vpc;
    const vpcName = ctx.name('vpc');
    const vpcId = this.vpc.id;
    const flowGroup = pinAddress(
      new CloudwatchLogGroup(this, 'flow-logs', {
        name: logGroupNames(ctx).flowLogs,
        retentionInDays: cfg.flowLogRetentionDays,
        kmsKeyId: key.arn,
        tags: ctx.tags(`${vpcName}-flow-logs`),
      }),
      'flow_logs',
    );
    const flowRole = pinAddress(
      new IamRole(this, 'flow-logs-role', {
        name: ctx.name('vpc-flow-logs'),
        assumeRolePolicy: policy({
          Effect: 'Allow',
          Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ctx.accountId },
            ArnLike: { 'aws:SourceArn': `arn:aws:ec2:${ctx.region}:${ctx.accountId}:vpc-flow-log/*` },
          },
        }),
        tags: ctx.tags(ctx.name('vpc-flow-logs')),
      }),
      'flow_logs',
    );
    pinAddress(
      new IamRolePolicy(this, 'flow-logs-policy', {
        name: 'write-flow-logs',
        role: flowRole.id,
        policy: policy({
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'],
          Resource: [flowGroup.arn, `${flowGroup.arn}:*`],
        }),
      }),
      'flow_logs',
    );
    pinAddress(
      new FlowLog(this, 'flow-log', {
        vpcId,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: flowGroup.arn,
        iamRoleArn: flowRole.arn,
        maxAggregationInterval: 60,
        tags: ctx.tags(`${vpcName}-flow-logs`),
      }),
      'vpc',
    );
  }

  /**
   * Interface endpoints for the services in `target.vpc.interfaceEndpoints`, in the private subnets
   * (one network interface per zone), private DNS on so that the SDKs' default names resolve to them,
   * admitting HTTPS from the nodes' security group only (nodes and pods: the VPC CNI gives pods the
   * node's groups).
   */
  interfaceEndpoints(ctx: AwsContext, nodes: SecurityGroup): void {
    const services = ctx.target.vpc.interfaceEndpoints;
    if (services.length === 0) return;
    const sg = pinAddress(
      new SecurityGroup(this, 'endpoints-sg', {
        name: ctx.name('vpc-endpoints'),
        description: 'Interface endpoints: HTTPS from the EKS nodes and pods',
        vpcId: this.vpc.id,
        tags: ctx.tags(ctx.name('vpc-endpoints')),
      }),
      'vpc_endpoints',
    );
    pinAddress(
      new VpcSecurityGroupIngressRule(this, 'endpoints-from-nodes', {
        securityGroupId: sg.id,
        referencedSecurityGroupId: nodes.id,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        description: 'EKS nodes and pods to the interface endpoints',
      }),
      'vpc_endpoints_from_nodes',
    );
    for (const service of services) {
      pinAddress(
        new VpcEndpoint(this, `endpoint-${service}`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${ctx.region}.${service}`,
          vpcEndpointType: 'Interface',
          subnetIds: this.privateSubnetIds,
          securityGroupIds: [sg.id],
          privateDnsEnabled: true,
          tags: ctx.tags(ctx.name(service)),
        }),
        service.replace(/[.-]/g, '_'),
      );
    }
  }

  get privateSubnetIds(): string[] {
    return this.zones.map((z) => z.private.id);
  }

  get intraSubnetIds(): string[] {
    return this.zones.map((z) => z.intra.id);
  }
}
