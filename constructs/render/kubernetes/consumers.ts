/**
 * The platform's consumers on a cluster: the applications' namespaces (created `restricted`, with a
 * ServiceAccount named after the consumer, or already there), and in each, for every service it
 * uses, ConfigMap `<component>-endpoint` (connection facts) and Secret `<component>-credentials`
 * (its own credentials, never an administrator's). Network policy admits its pods on the client
 * ports of those services only (connectivity.ts); where a service serves TLS with an operator's own
 * CA, its service accounts may read that CA's public Secret, and nothing else. Where a service serves
 * internal TLS (`internalTls`, a certificate of the environment's internal CA), ConfigMap
 * `internal-ca` (key `ca.crt`) in the consumer's namespace holds that CA, and the facts name it. The
 * platform's own services that verify an internal-TLS server of another namespace (Roundcube,
 * verifying PostgreSQL) get the same ConfigMap in theirs (`internalCaIn`, through K8sContext.internalCa).
 */
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { ConfigMapV1, NamespaceV1, RoleBindingV1, RoleV1, SecretV1, ServiceAccountV1 } from '../../providers/kubernetes';
import { renderText } from '../../spec/template';
import type { ConsumerAccess, ServiceSpec } from '../../spec/types';
import type { ConsumerPlacement } from '../../targets/kubernetes/consumers';
import { logicalId, pinAddress } from '../terraform';
import type { K8sContext, Realization } from './context';
import { podSecurityLabels } from '../../targets/kubernetes/naming';

/**
 * Why an application's namespace has no default-deny NetworkPolicy from the platform (guardrail
 * PLAT-K8S-002): its pods' traffic is the application's to police; the platform's services admit
 * them on their client ports only.
 */
export const CONSUMER_NETWORK_POLICY_REASON =
  "an application's namespace: its pods' own traffic is the application's to police; the platform's services admit them on their client ports only";

/** A consumer's pods reaching a service's pods on its client ports (what network policy admits). */
export interface ConsumerReach {
  readonly consumer: ConsumerPlacement;
  readonly service: string;
  readonly ports: readonly { readonly port: number; readonly protocol: 'TCP' | 'UDP' }[];
}

/** The names of what a consumer finds in its namespace for a service. */
export function publishedNames(spec: Pick<ServiceSpec, 'component'>): { configMap: string; secret: string } {
  return { configMap: `${spec.component}-endpoint`, secret: `${spec.component}-credentials` };
}

/** The ConfigMap (key `ca.crt`) with the environment's internal CA in a consumer's namespace. */
export const INTERNAL_CA_CONFIG_MAP = 'internal-ca';
/** Its key holding the CA's certificate (PEM). */
export const INTERNAL_CA_KEY = 'ca.crt';

export class Consumers extends Construct {
  /** What each consumer's objects wait for (its namespace, when the stack creates it). */
  private readonly namespaces = new Map<string, ITerraformDependable[]>();
  readonly reach: ConsumerReach[] = [];
  /** The internal CA's certificate (a Terraform expression), once the platform has one. */
  private caPem?: string;
  private readonly caMaps = new Map<string, ConfigMapV1>();

  constructor(
    scope: Construct,
    id: string,
    private readonly placements: readonly ConsumerPlacement[],
    labels: Readonly<Record<string, string>>,
    after: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    for (const p of placements) {
      if (!p.create) {
        this.namespaces.set(p.name, []);
        continue;
      }
      const ns = pinAddress(
        new NamespaceV1(this, `${p.name}-namespace`, {
          metadata: {
            name: p.namespace,
            annotations: { 'platform/network-policy-reason': CONSUMER_NETWORK_POLICY_REASON },
            labels: {
              ...labels,
              'platform/consumer': p.name,
              ...podSecurityLabels('restricted'),
            },
          },
          waitForDefaultServiceAccount: false,
          dependsOn: [...after],
        }),
        'namespace',
        logicalId('consumer', p.name),
      );
      const sa = pinAddress(
        new ServiceAccountV1(this, `${p.name}-service-account`, {
          metadata: { name: p.name, namespace: p.namespace, labels: { ...labels, 'platform/consumer': p.name } },
          // The application's pods need no token for the platform (only to read a CA, where one is granted).
          automountServiceAccountToken: false,
          dependsOn: [ns],
        }),
        logicalId('consumer', p.name),
      );
      this.namespaces.set(p.name, [ns, sa]);
    }
  }

  /** The internal CA's certificate, for the consumers of the services that serve internal TLS. */
  trust(caPem: string): void {
    this.caPem = caPem;
  }

  /** ConfigMap `internal-ca` in the consumer's namespace (one per namespace: consumers may share one). */
  private internalCa(placement: ConsumerPlacement, labels: Readonly<Record<string, string>>): ConfigMapV1 {
    return this.caMap(placement.namespace, labels, this.namespaces.get(placement.name) ?? [], `the consumer ${placement.name}`);
  }

  /**
   * The same ConfigMap `internal-ca` in one of the platform's own namespaces, for its services that
   * consume another's internal TLS across namespaces (Roundcube in the mail namespace verifying
   * PostgreSQL in the data namespace, whose certificate Secret it cannot mount): `after` is what
   * the namespace's objects wait for.
   */
  internalCaIn(namespace: string, labels: Readonly<Record<string, string>>, after: readonly ITerraformDependable[]): ConfigMapV1 {
    return this.caMap(namespace, labels, after, `namespace ${namespace}`);
  }

  private caMap(namespace: string, labels: Readonly<Record<string, string>>, after: readonly ITerraformDependable[], who: string) {
    const existing = this.caMaps.get(namespace);
    if (existing) return existing;
    if (!this.caPem) throw new Error(`${who} needs the internal CA, and the platform has none`);
    const map = pinAddress(
      new ConfigMapV1(this, `${namespace}-internal-ca`, {
        metadata: { name: INTERNAL_CA_CONFIG_MAP, namespace, labels: { ...labels } },
        data: { [INTERNAL_CA_KEY]: this.caPem },
        dependsOn: [...after],
      }),
      logicalId('consumer_ca', namespace),
    );
    this.caMaps.set(namespace, map);
    return map;
  }

  /** What an object in a consumer's namespace waits for (the namespace and its ServiceAccount, when the stack creates them). */
  namespaceOf(consumer: string): readonly ITerraformDependable[] {
    const deps = this.namespaces.get(consumer);
    if (!deps) throw new Error(`consumer ${consumer} has no placement`);
    return deps;
  }

  /**
   * Publishes what each of the spec's consumers receives into its namespace, after the service is
   * ready (its credentials applied), and records the ports network policy must open to it.
   */
  publish(ctx: K8sContext, spec: ServiceSpec, realization: Realization, ready: readonly ITerraformDependable[]): void {
    const resolve = ctx.resolver(spec);
    const names = publishedNames(spec);
    const ca = realization.consumerCa?.(spec);
    const labels = { ...ctx.commonLabels, 'app.kubernetes.io/name': spec.component, 'platform/published-by': spec.name };
    for (const access of spec.consumers ?? []) {
      // One of the platform's own services: it uses the credentials by reference, nothing is published.
      if (access.platform !== undefined) continue;
      const placement = this.placements.find((p) => p.name === access.consumer);
      if (!placement) throw new Error(`${spec.name}: consumer ${access.consumer} has no placement`);
      const waitFor = [...(this.namespaces.get(placement.name) ?? []), ...ready];
      const id = logicalId('consumer', placement.name, spec.component);
      const internal = (spec.certificates ?? []).some((c) => c.internal);
      if (internal) this.internalCa(placement, ctx.commonLabels);
      const facts = {
        ...(realization.consumerFacts?.(spec, access.facts, ctx.namespaceOf(spec)) ?? access.facts),
        // The CA to verify the service's internal TLS with, in the consumer's own namespace.
        ...(internal ? { 'ca-config-map': `${INTERNAL_CA_CONFIG_MAP} (key ${INTERNAL_CA_KEY})` } : {}),
      };
      pinAddress(
        new ConfigMapV1(this, `${id}-endpoint`, {
          metadata: { name: names.configMap, namespace: placement.namespace, labels: { ...labels, 'platform/consumer': placement.name } },
          data: Object.fromEntries(Object.entries(facts).map(([k, v]) => [k, renderText(v, resolve)])),
          dependsOn: waitFor,
        }),
        id,
        'endpoint',
      );
      if (Object.keys(access.credentials).length > 0) {
        pinAddress(
          new SecretV1(this, `${id}-credentials`, {
            metadata: { name: names.secret, namespace: placement.namespace, labels: { ...labels, 'platform/consumer': placement.name } },
            type: 'Opaque',
            data: Object.fromEntries(Object.entries(access.credentials).map(([k, v]) => [k, renderText(v, resolve)])),
            dependsOn: waitFor,
          }),
          id,
          'credentials',
        );
      }
      if (ca) this.caReader(ctx, spec, placement, ca.secret, id);
      this.reach.push({ consumer: placement, service: spec.name, ports: portsOf(spec, access) });
    }
  }

  /** `get` on the service's public CA Secret alone, for the consumer's service accounts. */
  private caReader(ctx: K8sContext, spec: ServiceSpec, placement: ConsumerPlacement, secret: string, id: string) {
    const ns = ctx.namespaceOf(spec);
    const name = `consumer-${placement.name}-ca`;
    const labels = { ...ctx.commonLabels, 'platform/consumer': placement.name };
    const role = pinAddress(
      new RoleV1(this, `${id}-ca-role`, {
        metadata: { name, namespace: ns, labels },
        rule: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: ['get'] }],
        dependsOn: [...ctx.foundation],
      }),
      id,
      'ca',
    );
    pinAddress(
      new RoleBindingV1(this, `${id}-ca-binding`, {
        metadata: { name, namespace: ns, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        // The consumer's own ServiceAccount where the stack made the namespace; else every one of it.
        subject: placement.create
          ? [{ kind: 'ServiceAccount', name: placement.name, namespace: placement.namespace }]
          : [{ kind: 'Group', name: `system:serviceaccounts:${placement.namespace}`, apiGroup: 'rbac.authorization.k8s.io' }],
        dependsOn: [role],
      }),
      id,
      'ca',
    );
  }
}

/** The numbers of the client ports a consumer may reach. */
function portsOf(spec: ServiceSpec, access: ConsumerAccess): ConsumerReach['ports'] {
  return access.ports.map((name) => {
    const p = spec.containers.flatMap((c) => c.ports).find((x) => x.name === name);
    if (!p) throw new Error(`${spec.name}: no port ${name}`);
    return { port: p.port, protocol: p.protocol === 'udp' ? 'UDP' : 'TCP' };
  });
}
