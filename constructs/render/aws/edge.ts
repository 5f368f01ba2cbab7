/**
 * The public edge of the AWS target (`target.edge`): what the platform serves to the internet, with
 * load balancers, a certificate and records this stack manages (no AWS Load Balancer Controller: its
 * load balancers appear only after the apply, so no record could point at them in the same plan).
 *
 * - HTTP: an Application Load Balancer in the public subnets, HTTPS with an ACM certificate for every
 *   external host (validated through Route 53) and a redirect from HTTP; one host rule per external
 *   port (`api.<domain>` to Kong, `webmail.<domain>` to Roundcube, `kibana.<domain>`), each to a
 *   target group of the system nodes on the port's fixed node port (a NodePort Service selecting the
 *   service's pods). TLS ends at the ALB (ACM keys never leave AWS): the ALB is this target's one
 *   edge, as the Gateway is on Kubernetes; a backend serving TLS itself (ECK's Kibana) is reached
 *   over HTTPS. The ALB passes the client in X-Forwarded-For.
 * - Mail: a Network Load Balancer on the public mail ports, TCP to the mail server's node ports
 *   with PROXY protocol v2 (IP-type or not, an NLB keeps no client address behind a node port: the
 *   header carries it to the server's PROXY twins). Its TCP health checks only connect.
 * - Route 53: alias records for the hosts and the mail server's name, and the records the services
 *   need (the mail domain's MX, SPF, DKIM split into 255-character strings, DMARC).
 *
 * Targets are the system node groups' auto-scaling groups (`aws_autoscaling_attachment`), so a
 * replaced node joins the target groups without this stack; kube-proxy takes the connection to the
 * pod wherever it runs (network policy admits the VPC's addresses on those ports).
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import {
  AcmCertificate,
  AcmCertificateValidation,
  AutoscalingAttachment,
  Lb,
  LbListener,
  LbListenerRule,
  LbTargetGroup,
  Route53Record,
  SecurityGroup,
  VpcSecurityGroupEgressRule,
  VpcSecurityGroupIngressRule,
} from '../../providers/aws';
import { ServiceV1 } from '../../providers/kubernetes';
import type { ServiceSpec } from '../../spec/types';
import { internetNodePort, internetPortsOf, lbName, webNodePorts } from '../../targets/aws/edge';
import { namespaceOf } from '../../targets/kubernetes/naming';
import { type RenderedRecord, route53Txt } from '../dns';
import { exposedPorts } from '../kubernetes/edge';
import type { InClusterPlatform } from '../kubernetes/platform';
import { realizationOf } from '../kubernetes/realizations';
import { logicalId, pinAddress } from '../terraform';
import type { AwsContext } from './context';
import type { Cluster } from './eks';
import type { Network } from './network';
import type { NodePools } from './node-pools';

type Edge = NonNullable<AwsContext['target']['edge']>;

export interface AwsEdgeProps {
  readonly ctx: AwsContext;
  readonly edge: Edge;
  readonly network: Network;
  readonly cluster: Cluster;
  readonly pools: NodePools;
  readonly platform: InClusterPlatform;
  /** The in-cluster specs. */
  readonly specs: readonly ServiceSpec[];
  /** The records the services need, rendered (the mail domain's, with the relay's changes). */
  readonly records: readonly RenderedRecord[];
  /** What the in-cluster objects wait for (the cluster's access and nodes). */
  readonly after: readonly ITerraformDependable[];
}

/** The ALB's TLS policy: TLS 1.3 and 1.2 only (the ELB documentation's recommended policy). */
export const ALB_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/** Seconds an ALB keeps an idle connection: model generations stream for minutes. */
export const ALB_IDLE_TIMEOUT = 300;

export class AwsEdge extends Construct {
  constructor(scope: Construct, id: string, props: AwsEdgeProps) {
    super(scope, id);
    const { ctx, edge, network, cluster, pools, platform, specs } = props;
    const zoneId = edge.hostedZone.id;
    const publicSubnets = network.zones.map((z) => z.public.id);
    const asgs = pools.system.groups.map((g) => ({ zone: g.zone, name: g.group.resources.get(0).autoscalingGroups.get(0).name }));
    const nodes = cluster.nodeSecurityGroup.id;

    const alias = (name: string, lb: Lb, key: string) =>
      pinAddress(
        new Route53Record(this, `alias-${key}`, {
          zoneId,
          name,
          type: 'A',
          alias: { name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true },
        }),
        'edge',
        key,
      );
    const attach = (tg: LbTargetGroup, key: string) =>
      asgs.forEach((a) =>
        pinAddress(
          new AutoscalingAttachment(this, `attach-${key}-${a.zone}`, { autoscalingGroupName: a.name, lbTargetGroupArn: tg.arn }),
          'edge',
          key,
          a.zone,
        ),
      );
    const lbGroup = (role: 'web' | 'mail', ports: readonly number[], description: string) => {
      const sg = pinAddress(
        new SecurityGroup(this, `${role}-sg`, {
          name: ctx.name(`${role}-lb`),
          description,
          vpcId: network.vpc.id,
          tags: ctx.tags(ctx.name(`${role}-lb`)),
        }),
        'edge',
        role,
      );
      for (const port of ports)
        edge.allowedCidrs.forEach((cidr, i) =>
          pinAddress(
            new VpcSecurityGroupIngressRule(this, `${role}-in-${port}-${i}`, {
              securityGroupId: sg.id,
              cidrIpv4: cidr,
              ipProtocol: 'tcp',
              fromPort: port,
              toPort: port,
              description: `${description}: ${port}`,
            }),
            'edge',
            role,
            String(port),
            String(i),
          ),
        );
      pinAddress(
        new VpcSecurityGroupEgressRule(this, `${role}-to-nodes`, {
          securityGroupId: sg.id,
          referencedSecurityGroupId: nodes,
          ipProtocol: 'tcp',
          fromPort: 30000,
          toPort: 32767,
          description: 'to the node ports of the system nodes',
        }),
        'edge',
        role,
        'nodes',
      );
      return sg;
    };
    const toNodes = (sg: SecurityGroup, nodePort: number, key: string, what: string) =>
      pinAddress(
        new VpcSecurityGroupIngressRule(this, `nodes-from-${key}`, {
          securityGroupId: nodes,
          referencedSecurityGroupId: sg.id,
          ipProtocol: 'tcp',
          fromPort: nodePort,
          toPort: nodePort,
          description: `the load balancer to ${what}`,
        }),
        'edge',
        'nodes',
        key,
      );

    // HTTP: every external port behind the ALB.
    const routes = exposedPorts(specs, edge.domain, (spec) => ({
      service: realizationOf(spec).serviceName?.(spec) ?? spec.name,
      namespace: namespaceOf(ctx.target.eks.namespace, spec.concern),
    }));
    if (routes.length > 0) {
      const certificate = pinAddress(
        new AcmCertificate(this, 'certificate', {
          domainName: routes[0]!.host,
          subjectAlternativeNames: routes.slice(1).map((r) => r.host),
          validationMethod: 'DNS',
          keyAlgorithm: 'RSA_2048',
          tags: ctx.tags(ctx.name('edge')),
          lifecycle: { createBeforeDestroy: true },
        }),
        'edge',
      );
      // One validation record per name, looked up by name (the names are known at plan).
      const validation = routes.map((r) => {
        const option = (attribute: string) =>
          `\${one([for o in ${certificate.terraformResourceType}.${certificate.friendlyUniqueId}.domain_validation_options : o.${attribute} if o.domain_name == "${r.host}"])}`;
        return pinAddress(
          new Route53Record(this, `validation-${r.service}`, {
            zoneId,
            name: option('resource_record_name'),
            type: option('resource_record_type'),
            records: [option('resource_record_value')],
            ttl: 300,
            allowOverwrite: true,
          }),
          'edge',
          'validation',
          r.service,
        );
      });
      const validated = pinAddress(
        new AcmCertificateValidation(this, 'certificate-validation', {
          certificateArn: certificate.arn,
          validationRecordFqdns: validation.map((v) => v.fqdn),
        }),
        'edge',
      );
      const sg = lbGroup('web', [80, 443], `${ctx.prefix} web load balancer (HTTPS)`);
      const alb = pinAddress(
        new Lb(this, 'web', {
          name: lbName(ctx.prefix, 'web'),
          loadBalancerType: 'application',
          internal: false,
          subnets: publicSubnets,
          securityGroups: [sg.id],
          idleTimeout: ALB_IDLE_TIMEOUT,
          dropInvalidHeaderFields: true,
          tags: ctx.tags(lbName(ctx.prefix, 'web')),
        }),
        'edge',
        'web',
      );
      const https = pinAddress(
        new LbListener(this, 'https', {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: ALB_SSL_POLICY,
          certificateArn: validated.certificateArn,
          defaultAction: [
            { type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'not found' } },
          ],
        }),
        'edge',
        'https',
      );
      pinAddress(
        new LbListener(this, 'http', {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: 'HTTP',
          defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
        }),
        'edge',
        'http',
      );
      const nodePorts = webNodePorts(routes);
      routes.forEach((r, i) => {
        const spec = specs.find((s) => s.name === r.service)!;
        const nodePort = nodePorts.get(r.service)!;
        const tls = realizationOf(spec).serviceTls !== undefined;
        const server = platform.groups.find((g) => g.service === spec.name && g.role === 'server')!;
        // The route's node port: a Service of its own selecting the service's pods.
        pinAddress(
          new ServiceV1(this, `node-port-${r.service}`, {
            metadata: {
              name: `${r.service}-edge`,
              namespace: r.namespace,
              labels: { 'app.kubernetes.io/name': r.service, 'app.kubernetes.io/part-of': ctx.project },
            },
            spec: {
              type: 'NodePort',
              selector: { ...server.labels },
              sessionAffinity: 'None',
              externalTrafficPolicy: 'Cluster',
              port: [{ name: 'http', port: r.port, targetPort: String(r.port), nodePort, protocol: 'TCP' }],
            },
            dependsOn: [...props.after],
          }),
          logicalId(r.service, 'edge'),
        );
        const tg = pinAddress(
          new LbTargetGroup(this, `web-${r.service}`, {
            port: nodePort,
            protocol: tls ? 'HTTPS' : 'HTTP',
            targetType: 'instance',
            vpcId: network.vpc.id,
            deregistrationDelay: '30',
            // Any HTTP answer means the service is up (Kong answers 404 on /, Kibana asks to log in).
            healthCheck: {
              enabled: true,
              protocol: tls ? 'HTTPS' : 'HTTP',
              path: '/',
              matcher: '200-499',
              interval: 15,
              healthyThreshold: 2,
              unhealthyThreshold: 3,
            },
            tags: ctx.tags(ctx.name('web', r.service)),
          }),
          'edge',
          'web',
          r.service,
        );
        attach(tg, `web_${r.service}`);
        toNodes(sg, nodePort, `web_${r.service}`, `${r.service} (${r.host})`);
        pinAddress(
          new LbListenerRule(this, `rule-${r.service}`, {
            listenerArn: https.arn,
            priority: 10 + i,
            condition: [{ hostHeader: { values: [r.host] } }],
            action: [{ type: 'forward', targetGroupArn: tg.arn }],
          }),
          'edge',
          r.service,
        );
        alias(r.host, alb, r.service);
      });
    }

    // Mail: every public TCP port behind the NLB, with PROXY protocol v2 to the server's twins.
    const mail = specs.flatMap((s) => internetPortsOf(s).map((p) => ({ spec: s, port: p })));
    if (mail.length > 0) {
      const sg = lbGroup('mail', [...new Set(mail.map((m) => m.port.port))], `${ctx.prefix} mail load balancer (SMTP, IMAP)`);
      const nlb = pinAddress(
        new Lb(this, 'mail', {
          name: lbName(ctx.prefix, 'mail'),
          loadBalancerType: 'network',
          internal: false,
          subnets: publicSubnets,
          securityGroups: [sg.id],
          enableCrossZoneLoadBalancing: true,
          tags: ctx.tags(lbName(ctx.prefix, 'mail')),
        }),
        'edge',
        'mail',
      );
      for (const { spec, port } of mail) {
        const key = `${spec.name}_${port.name}`;
        const nodePort = internetNodePort(port.port);
        const tg = pinAddress(
          new LbTargetGroup(this, `mail-${key}`, {
            port: nodePort,
            protocol: 'TCP',
            targetType: 'instance',
            vpcId: network.vpc.id,
            proxyProtocolV2: true,
            // The header carries the client; the connection itself comes from the NLB (so from its security group).
            preserveClientIp: 'false',
            deregistrationDelay: '60',
            healthCheck: { enabled: true, protocol: 'TCP', interval: 30, healthyThreshold: 3, unhealthyThreshold: 3 },
            tags: ctx.tags(ctx.name('mail', port.name)),
          }),
          'edge',
          'mail',
          key,
        );
        attach(tg, `mail_${key}`);
        toNodes(sg, nodePort, `mail_${key}`, `${spec.name} ${port.name}`);
        pinAddress(
          new LbListener(this, `listener-${key}`, {
            loadBalancerArn: nlb.arn,
            port: port.port,
            protocol: 'TCP',
            defaultAction: [{ type: 'forward', targetGroupArn: tg.arn }],
          }),
          'edge',
          'mail',
          key,
        );
      }
      for (const host of new Set(mail.map((m) => m.port.internet!.hostname))) alias(host, nlb, `mail_${host.replace(/\./g, '_')}`);
    }

    // The records the services need, by name and type (several values form one record set).
    const sets = new Map<string, RenderedRecord>();
    for (const r of props.records) {
      const k = `${r.type} ${r.name}`;
      const prev = sets.get(k);
      sets.set(k, prev ? { ...prev, values: [...prev.values, ...r.values] } : r);
    }
    for (const r of sets.values()) {
      pinAddress(
        new Route53Record(this, `record-${r.type}-${r.name}`, {
          zoneId,
          name: r.name,
          type: r.type,
          ttl: 3600,
          records: r.type === 'TXT' ? r.values.map(route53Txt) : [...r.values],
        }),
        'dns',
        r.type.toLowerCase(),
        r.name.replace(/\./g, '_'),
      );
    }
  }
}
