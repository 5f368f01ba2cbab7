/**
 * docker-mailserver on Kubernetes: the default StatefulSet from the spec (its mail and state volumes,
 * the generated configuration from a ConfigMap and a Secret, the certificate cert-manager issues),
 * plus what reaches it from the internet with the client's address kept (spam filtering and Postfix's
 * per-client limits need the real address):
 *
 * - `local-traffic` (the default): a LoadBalancer Service on 25, 465, 587 and 993 with
 *   `externalTrafficPolicy: Local`. The load balancer sends only to nodes running the pod (the others
 *   fail its health check on the Service's health node port), and kube-proxy does not SNAT, so the
 *   pod sees the client. Works with any implementation (cloud load balancers, MetalLB); the cost is
 *   a node-dependent path and unbalanced traffic when there are several pods (there is one).
 * - `proxy-protocol`: the load balancer prepends a PROXY header and sends to the twins (12525,
 *   10465, 10587, 10993), which read the client from it (`postscreen_upstream_proxy_protocol`,
 *   `smtpd_upstream_proxy_protocol`, Dovecot `haproxy = yes` within `haproxy_trusted_networks`).
 *   Any node may forward (`Cluster`); the load balancer must be told to send the header (its
 *   annotations), and only it may reach the twins: network policy admits the trusted networks there.
 *   The AWS target's NLB does this through fixed node ports (`NodePort`).
 *
 * Not the docker-mailserver chart (5.1.1): its pod security context is dead code (the template reads
 * `.Values.securityContext`, the values define `deployment.securityContext`), so the pod runs as root
 * with the runtime's default capabilities and no seccomp profile; it forces four volume claims; and it
 * has no Docker counterpart. Its PROXY layout and probes are reused here.
 *
 * Pod Security: the namespace is `baseline` (the spec's `privileges`: root, setgid postdrop, the
 * capabilities of the upstream Kubernetes docs minus Fail2Ban's); the webmail beside it keeps the
 * restricted context.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { SecretV1, ServiceV1 } from '../../providers/kubernetes';
import type { MailFacet } from '../../services/mail';
import type { PortSpec, ServiceSpec } from '../../spec/types';
import { podLabels } from '../../targets/kubernetes/naming';
import { pinAddress } from '../terraform';
import type { K8sContext, MailExposure, PodGroup, Realization, Realized } from './context';
import { portName } from './pod';
import { Workload } from './workload';

/** Where the relay's password reaches docker-mailserver (`RELAY_PASSWORD__FILE`, its `__FILE` convention). */
const RELAY_PASSWORD_DIR = '/run/secrets/mail-relay';

/** The exposure when the environment says nothing: a LoadBalancer keeping the client address with `Local`. */
export const DEFAULT_MAIL_EXPOSURE: MailExposure = { service: { type: 'LoadBalancer', annotations: {} }, clientAddress: 'local-traffic' };

/** The spec's public ports (`PortSpec.internet`). */
export function internetPorts(spec: ServiceSpec): PortSpec[] {
  return spec.containers.flatMap((c) => c.ports.filter((p) => p.internet));
}

/** The public Service's ports: each public port, sent to itself or to its PROXY protocol twin. */
export function publicPorts(spec: ServiceSpec, exposure: MailExposure) {
  return internetPorts(spec).map((p) => ({
    name: portName(p.name),
    port: p.port,
    targetPort: String(exposure.clientAddress === 'proxy-protocol' ? p.internet!.proxyProtocolPort : p.port),
    protocol: 'TCP',
    ...(exposure.service.type === 'NodePort'
      ? {
          nodePort: (() => {
            const n = exposure.service.nodePorts[p.name];
            if (n === undefined) throw new Error(`${spec.name}: no node port for ${p.name}`);
            return n;
          })(),
        }
      : {}),
  }));
}

export const mailserver: Realization<MailFacet> = {
  describe: () => 'own StatefulSet; a LoadBalancer (or node-port) Service for SMTP and IMAP that keeps the client address',
  why: () =>
    "The spec's resources plus the public Service: the docker-mailserver chart renders no pod security context (its values' key is not the one its template reads), forces four claims and has no Docker counterpart; its PROXY protocol layout is reused.",
  render: (scope, ctx, spec, dependsOn) => new MailServer(scope, spec.name, ctx, spec, dependsOn).realized,
};

class MailServer extends Construct {
  readonly realized: Realized;

  constructor(
    scope: Construct,
    id: string,
    ctx: K8sContext,
    spec: ServiceSpec<string, MailFacet>,
    dependsOn: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    const ns = ctx.namespaceOf(spec);
    const exposure = ctx.cluster.mail ?? DEFAULT_MAIL_EXPOSURE;
    const labels = { ...ctx.commonLabels, ...podLabels(spec) };
    const proxy = exposure.clientAddress === 'proxy-protocol';

    // The PROXY protocol twins as container ports (purpose `cluster`: no client in the cluster reaches
    // them; network policy admits the load balancer's networks alone).
    const twins = internetPorts(spec).map((p): PortSpec => ({
      name: `proxy-${p.port}`,
      port: p.internet!.proxyProtocolPort,
      protocol: 'tcp',
      purpose: 'cluster',
      appProtocol: p.appProtocol,
    }));
    const withTwins: ServiceSpec<string, MailFacet> = {
      ...spec,
      containers: spec.containers.map((c) => (c.name === 'main' ? { ...c, ports: [...c.ports, ...twins] } : c)),
    };

    // Outgoing mail through the target's relay (Amazon SES): its password in a Secret of its own.
    const relay = ctx.cluster.mailRelay;
    const relaySecret = relay
      ? pinAddress(
          new SecretV1(this, 'relay', {
            metadata: { name: `${spec.name}-relay`, namespace: ns, labels },
            type: 'Opaque',
            data: { password: relay.password },
            dependsOn: [...ctx.foundation],
          }),
          spec.name,
          'relay',
        )
      : undefined;
    const workload = new Workload(this, 'workload', ctx, withTwins, dependsOn, {
      ...(relay && relaySecret
        ? {
            extra: {
              volumes: [{ name: 'relay', secret: { secretName: relaySecret.metadata.name, defaultMode: '0400' } }],
              env: {
                main: [
                  { name: 'DEFAULT_RELAY_HOST', value: relay.host },
                  { name: 'RELAY_USER', value: relay.username },
                  { name: 'RELAY_PASSWORD__FILE', value: `${RELAY_PASSWORD_DIR}/password` },
                ],
              },
              mounts: { main: [{ name: 'relay', mountPath: RELAY_PASSWORD_DIR, readOnly: true }] },
              after: [relaySecret],
            },
          }
        : {}),
    });

    const ports = publicPorts(spec, exposure);
    const service = exposure.service;
    pinAddress(
      new ServiceV1(this, 'public', {
        metadata: {
          name: `${spec.name}-public`,
          namespace: ns,
          labels,
          ...(service.type === 'LoadBalancer' && Object.keys(service.annotations).length
            ? { annotations: { ...service.annotations } }
            : {}),
        },
        spec: {
          type: service.type,
          selector: podLabels(spec),
          sessionAffinity: 'None',
          // Local: no second hop, so no SNAT hides the client (local-traffic); the PROXY header carries it otherwise.
          externalTrafficPolicy: proxy ? 'Cluster' : 'Local',
          port: ports,
        },
        // The apply does not wait for an address: a cluster may take minutes, or have no load balancer yet.
        waitForLoadBalancer: false,
        dependsOn: [...ctx.foundation],
      }),
      spec.name,
      'public',
    );

    const server = workload.realized.pods[0]!;
    const reached = proxy ? twins.map((t) => t.port) : internetPorts(spec).map((p) => p.port);
    const pods: PodGroup[] = [
      {
        ...server,
        ingressFrom: [
          ...(server.ingressFrom ?? []),
          proxy
            ? {
                cidrs: [...spec.facet.trustedNetworks],
                ports: reached,
                reason: 'the load balancer sends mail connections with a PROXY header (the networks the server trusts it from)',
              }
            : {
                cidrs: ['0.0.0.0/0'],
                ports: reached,
                reason: 'mail clients and other mail servers on the internet (the load balancer keeps their address)',
              },
        ],
      },
      ...workload.realized.pods.slice(1),
    ];
    this.realized = { ready: workload.realized.ready, pods };
  }
}
