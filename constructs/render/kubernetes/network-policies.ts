/**
 * NetworkPolicies from the connectivity model: in every platform namespace a default deny (ingress
 * and egress) and DNS for all pods; then, per pod group, one policy admitting exactly its sources and
 * one allowing exactly its destinations.
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { NetworkPolicyV1 } from '../../providers/kubernetes';
import { logicalId, pinAddress } from '../terraform';
import type { PodGroup } from './context';
import { type Connection, type Peer } from './connectivity';

const NS_LABEL = 'kubernetes.io/metadata.name';

function peers(p: Peer) {
  if (p.cidrs) return p.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  if (p.group)
    return [{ namespaceSelector: { matchLabels: { [NS_LABEL]: p.group.namespace } }, podSelector: { matchLabels: { ...p.group.labels } } }];
  const namespaceSelector = { matchLabels: { [NS_LABEL]: p.namespace! } };
  return [
    p.labels && Object.keys(p.labels).length ? { namespaceSelector, podSelector: { matchLabels: { ...p.labels } } } : { namespaceSelector },
  ];
}

const portsOf = (c: Connection) => c.ports.map((p) => ({ port: String(p.port), protocol: p.protocol }));

/** Where pods resolve names: the cluster DNS pods, and resolvers by address (NodeLocal DNSCache, GKE Cloud DNS). */
export interface DnsFacts {
  readonly pods: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
  readonly addresses: readonly string[];
}

/** CoreDNS as most distributions label it. */
export const DEFAULT_DNS: DnsFacts = { pods: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } }, addresses: [] };

const DNS_PORTS = [
  { port: '53', protocol: 'UDP' },
  { port: '53', protocol: 'TCP' },
];

export class NetworkPolicies extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly namespaces: readonly string[];
      readonly dns: DnsFacts;
      readonly groups: readonly PodGroup[];
      readonly connections: readonly Connection[];
      readonly after: readonly ITerraformDependable[];
    },
  ) {
    super(scope, id);
    const dependsOn = [...props.after];
    for (const ns of props.namespaces) {
      pinAddress(
        new NetworkPolicyV1(this, `${ns}-default-deny`, {
          metadata: { name: 'default-deny', namespace: ns },
          spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
          dependsOn,
        }),
        ns,
        'default_deny',
      );
      pinAddress(
        new NetworkPolicyV1(this, `${ns}-dns`, {
          metadata: { name: 'allow-dns', namespace: ns },
          spec: {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [
              {
                to: [
                  {
                    namespaceSelector: { matchLabels: { [NS_LABEL]: props.dns.pods.namespace } },
                    podSelector: { matchLabels: { ...props.dns.pods.podLabels } },
                  },
                  ...props.dns.addresses.map((cidr) => ({ ipBlock: { cidr } })),
                ],
                ports: DNS_PORTS,
              },
            ],
          },
          dependsOn,
        }),
        ns,
        'allow_dns',
      );
    }
    // Sources given by namespace (and labels: the scraper) that sit in one of the platform's
    // namespaces: those pods need the matching egress, or their own default deny would stop them.
    for (const ns of props.namespaces) {
      const out = props.connections.filter((c) => c.from.namespace === ns && !c.from.group);
      if (out.length === 0) continue;
      const selectors = new Map<string, Readonly<Record<string, string>>>();
      for (const c of out) selectors.set(JSON.stringify(c.from.labels ?? {}), c.from.labels ?? {});
      for (const [key, labels] of selectors) {
        const mine = out.filter((c) => JSON.stringify(c.from.labels ?? {}) === key);
        const named = Object.values(labels).join('-');
        pinAddress(
          new NetworkPolicyV1(this, `${ns}-namespace-egress${named ? `-${named}` : ''}`, {
            metadata: {
              name: named ? `${named}-scrape-egress` : 'namespace-egress',
              namespace: ns,
              annotations: { 'platform/reasons': reasons(mine) },
            },
            spec: {
              podSelector: Object.keys(labels).length ? { matchLabels: { ...labels } } : {},
              policyTypes: ['Egress'],
              egress: mine.map((c) => ({ to: peers(c.to), ports: portsOf(c) })),
            },
            dependsOn,
          }),
          ns,
          named ? `${named}_egress` : 'namespace_egress',
        );
      }
    }
    for (const g of props.groups) {
      const name = g.id.replace(/[^a-z0-9-]/g, '-');
      const ingress = props.connections.filter((c) => c.to.group === g);
      const egress = props.connections.filter((c) => c.from.group === g);
      if (ingress.length) {
        pinAddress(
          new NetworkPolicyV1(this, `${name}-ingress`, {
            metadata: { name: `${name}-ingress`, namespace: g.namespace, annotations: { 'platform/reasons': reasons(ingress) } },
            spec: {
              podSelector: { matchLabels: { ...g.labels } },
              policyTypes: ['Ingress'],
              ingress: ingress.map((c) => ({ from: peers(c.from), ports: portsOf(c) })),
            },
            dependsOn,
          }),
          logicalId(name, 'ingress'),
        );
      }
      if (egress.length) {
        pinAddress(
          new NetworkPolicyV1(this, `${name}-egress`, {
            metadata: { name: `${name}-egress`, namespace: g.namespace, annotations: { 'platform/reasons': reasons(egress) } },
            spec: {
              podSelector: { matchLabels: { ...g.labels } },
              policyTypes: ['Egress'],
              egress: egress.map((c) => ({ to: peers(c.to), ports: portsOf(c) })),
            },
            dependsOn,
          }),
          logicalId(name, 'egress'),
        );
      }
    }
  }
}

const reasons = (cs: readonly Connection[]) => [...new Set(cs.map((c) => c.reason))].join('; ');
