/**
 * The in-cluster part of an environment: what the Kubernetes target renders into a cluster whose
 * providers (kubernetes, helm) the caller has configured. The Kubernetes target calls it with a
 * cluster reached through its environment's access settings; the AWS target calls it for what runs
 * on EKS. Nothing here needs the cluster at plan time: typed `*_v1` resources and Helm releases only.
 *
 * Order on an empty cluster: namespaces (Pod Security labels, quotas, limit ranges, the data
 * PriorityClass) and network policies first; then every service after the services it depends on
 * (a service's workload waits until its dependencies are rolled out and their setup jobs are done).
 */
import type { Environment } from '../../../environments/parse/load';
import { GeneratedSecrets } from '../secrets';
import { Construct, TerraformOutput, type ITerraformDependable } from '../../providers/cdktf';
import { dnsRecordsOutput } from '../dns';
import type { TextResolver } from '../../spec/template';
import type { Concern, ServiceSpec } from '../../spec/types';
import { orderByDependencies } from '../../targets/order';
import { escapeLiteral } from '../terraform';
import { connections } from './connectivity';
import { type ConsumerReach, Consumers, INTERNAL_CA_CONFIG_MAP, INTERNAL_CA_KEY } from './consumers';
import type { ClusterFacts, K8sContext, PodGroup, Realization } from './context';

export type { ClusterFacts };
import { Edge, exposedPorts } from './edge';
import { CERT_MANAGER_WITHOUT_GATEWAY, caNamespaces, Certificates, challengeNamespaces, ClusterCa, planCertificates } from './certificates';
import { Namespaces } from './namespaces';
import { namespaceOf, serviceDns } from '../../targets/kubernetes/naming';
import { DEFAULT_DNS, NetworkPolicies } from './network-policies';
import { NvidiaDevicePlugin } from './nvidia-device-plugin';
import { Operators } from './operators';
import { type PodPolicyInput, platformPodLabels, podPolicy } from './pod-policy';
import { realizationOf } from './realizations';
import { footprintOf } from '../../targets/kubernetes';
import { SCRAPER_LABELS } from '../../targets/kubernetes/naming';

export interface InClusterProps {
  readonly environment: Environment;
  /** The specs to run in the cluster (a cloud target may have taken some as managed services). */
  readonly specs: readonly ServiceSpec[];
  readonly cluster: ClusterFacts;
  /** Resources that must exist before anything is installed into the cluster (node groups, add-ons). */
  readonly after?: readonly ITerraformDependable[];
  /**
   * Specs a target adds to what the cluster runs, with their realization (the AWS target's CloudWatch
   * exporter). @default none
   */
  readonly extra?: readonly { readonly spec: ServiceSpec; readonly realization: Realization }[];
}

export class InClusterPlatform extends Construct {
  /** Every pod group of the platform, for network policy (and its test). */
  readonly groups: PodGroup[] = [];
  /** Pods the platform admits that belong to no service (cert-manager's HTTP-01 solvers at the edge). */
  readonly edgeGroups: PodGroup[] = [];
  /** Where the Gateway's proxies run (the only source of the external ports); none without a gateway. */
  readonly proxies?: Edge['proxies'];
  readonly namespaces: readonly string[];
  /** Every spec the cluster runs (the environment's, less what a cloud runs, plus what a target adds). */
  readonly specs: readonly ServiceSpec[];
  /** The consumers' pods and the services' client ports network policy opens to them. */
  readonly consumers: readonly ConsumerReach[];
  /** What an object a target adds to a consumer's namespace waits for. */
  readonly consumerNamespace: (consumer: string) => readonly ITerraformDependable[];
  /** The generated secrets of what runs in the cluster (a cloud target publishes a key's public half). */
  readonly secrets: GeneratedSecrets;

  constructor(scope: Construct, id: string, props: InClusterProps) {
    super(scope, id);
    const env = props.environment;
    const facts = props.cluster;
    const prefix = facts.namespacePrefix;
    const after = [...(props.after ?? [])];
    const extraRows = new Map((props.extra ?? []).map((e) => [e.spec.name, e.realization]));
    const rowOf = (spec: ServiceSpec): Realization => extraRows.get(spec.name) ?? realizationOf(spec);
    const specs = orderByDependencies([...props.specs, ...(props.extra ?? []).map((e) => e.spec)]);
    this.specs = specs;

    // Certificates the services serve themselves: cert-manager's, through a release in the edge namespace.
    const certified = specs.filter((s) => (s.certificates ?? []).length > 0);
    if (certified.length > 0 && !facts.certificates)
      throw new Error(`${certified.map((s) => s.name).join(', ')} serve certificates, and the cluster has no cert-manager for them`);
    const concerns = new Set<Concern>([
      ...specs.map((s) => s.concern),
      'monitoring',
      ...(facts.gateway || certified.length > 0 ? (['edge'] as const) : []),
    ]);
    // A realization may run its pods in a namespace of its own (node agents that need the host).
    const nsOf = (spec: ServiceSpec) => {
      const own = rowOf(spec).namespace;
      return own ? `${prefix}-${own.name}` : namespaceOf(prefix, spec.concern);
    };
    const own = new Map(
      specs.flatMap((s) => {
        const n = rowOf(s).namespace;
        return n ? [[`${prefix}-${n.name}`, n] as const] : [];
      }),
    );
    // The quota counts what each realization runs (an operator's extra nodes, per-node agents), not only the spec.
    const traits = {
      ...(facts.monitoring?.nodes !== undefined ? { nodes: facts.monitoring.nodes } : {}),
      volumeSnapshots: facts.volumeSnapshots !== undefined,
      podIdentityStore: facts.backupStore !== undefined,
    };
    const uses = [
      ...[...concerns].map((concern) => ({ name: namespaceOf(prefix, concern), concern })),
      ...[...own].map(([name, n]) => ({
        name,
        key: n.name,
        concern: 'monitoring' as const,
        podSecurity: { level: n.podSecurity, reason: n.reason },
      })),
    ].map((u) => ({ ...u, specs: specs.filter((s) => nsOf(s) === u.name).flatMap((s) => footprintOf(s, traits)) }));
    this.namespaces = uses.map((u) => u.name);
    const commonLabels = {
      'app.kubernetes.io/part-of': env.project,
      'app.kubernetes.io/managed-by': 'cdktf',
      'platform/environment': env.name,
    };
    const labels = { ...commonLabels, ...env.labels };
    const namespaces = new Namespaces(this, 'namespaces', { prefix, uses, labels, after });

    let devicePlugin: ITerraformDependable[] = [];
    if (facts.gpu?.installDevicePlugin) {
      devicePlugin = [new NvidiaDevicePlugin(this, 'nvidia-device-plugin', { gpu: facts.gpu, after }).release];
    }

    // Every pod's labels, scheduling and security context, whoever builds the pod.
    const policyOf = (input: PodPolicyInput) =>
      podPolicy({ podLabels: platformPodLabels(env), dataPriorityClass: namespaces.dataPriorityClass, cluster: facts }, input);

    // The applications' namespaces (those the stack creates) exist before anything is published into them.
    const consumers = new Consumers(this, 'consumers', facts.consumers ?? [], labels, after);
    this.consumers = consumers.reach;
    this.consumerNamespace = (consumer) => consumers.namespaceOf(consumer);

    // Only the secrets the realizations use are generated.
    const secrets = (this.secrets = new GeneratedSecrets(
      this,
      'secrets',
      specs.map((s) => {
        const unused = new Set(rowOf(s).unusedSecrets?.(s) ?? []);
        return unused.size ? { ...s, secrets: s.secrets.filter((x) => !unused.has(x.name)) } : s;
      }),
    ));
    const bySpec = new Map(specs.map((s) => [s.name, s]));
    const ready = new Map<string, readonly ITerraformDependable[]>();
    const serviceOf = (spec: ServiceSpec) => rowOf(spec).serviceName?.(spec) ?? spec.name;
    const external = facts.external ?? {};
    const hostOf = (service: string): string => {
      if (!bySpec.has(service) && external[service]) return external[service].host;
      const spec = bySpec.get(service);
      if (!spec) throw new Error(`service ${service} is not in the cluster`);
      return serviceDns(serviceOf(spec), nsOf(spec));
    };
    const edgeNamespace = namespaceOf(prefix, 'edge');
    const plan = facts.certificates
      ? planCertificates(
          certified,
          facts.certificates,
          prefix,
          nsOf,
          serviceOf,
          (spec) => rowOf(spec).serverNames?.(spec) ?? [],
          (spec) => rowOf(spec).certificateLabels ?? {},
        )
      : [];
    // The environment's one internal CA, where a certificate is signed by it (internal TLS, Kong's, `self-signed`).
    const signing = caNamespaces(plan);
    const ca =
      signing.length > 0
        ? new ClusterCa(this, 'internal-ca', { name: env.name, namespaces: signing, labels, foundation: namespaces.all })
        : undefined;
    if (ca) {
      new TerraformOutput(this, 'ca_certificate', {
        description:
          "The environment's internal CA (PEM): what the platform's internal certificates are signed with; applications verify internal TLS against it (also ConfigMap internal-ca in their namespaces)",
        value: ca.cert.certPem,
      }).overrideLogicalId('ca_certificate');
      consumers.trust(ca.cert.certPem);
    }
    const operators = new Operators(this, 'operators', [...after], policyOf, facts.existingOperators);

    // The edge first: the routes need no Service to exist, and cert-manager (its) comes before any certificate.
    let edge: Edge | undefined;
    if (facts.gateway) {
      edge = new Edge(this, 'edge', {
        gateway: facts.gateway,
        prefix,
        namespace: edgeNamespace,
        exposed: exposedPorts(specs, facts.gateway.domain, (spec) => {
          const tls = rowOf(spec).serviceTls?.(spec);
          return { service: serviceOf(spec), namespace: nsOf(spec), ...(tls ? { tls } : {}) };
        }),
        labels,
        operators,
        foundation: namespaces.all,
        challengeNamespaces: challengeNamespaces(plan, edgeNamespace),
      });
      this.proxies = edge.proxies;
      this.edgeGroups.push(edge.solvers);
    }
    const certificates =
      plan.length > 0 && facts.certificates
        ? new Certificates(this, 'certificates', {
            plan,
            facts: facts.certificates,
            prefix,
            namespace: edgeNamespace,
            labels,
            operators,
            edgeCertManager: edge?.certManager ?? [],
            foundation: namespaces.all,
            ...(edge ? { proxies: edge.proxies } : {}),
            ...(ca ? { ca } : {}),
          })
        : undefined;
    if (certificates) this.edgeGroups.push(...certificates.solvers);

    const ctx: K8sContext = {
      environment: { name: env.name, project: env.project, protectData: env.protectData },
      certificatesOf: (spec) => {
        const mine = plan.filter((c) => c.service === spec.name);
        return {
          secrets: Object.fromEntries(mine.map((c) => [c.certificate, c.secretName])),
          ready: mine.length > 0 && certificates ? [certificates.release] : [],
        };
      },
      cluster: facts,
      secrets,
      namespaceOf: nsOf,
      resolver: (spec): TextResolver => ({
        literal: escapeLiteral,
        secret: (ref) => {
          const outside = bySpec.has(ref.service) ? undefined : external[ref.service];
          if (!outside) return secrets.value(ref);
          const value = outside.secrets[ref.name];
          if (value === undefined || (ref.form ?? 'value') !== 'value')
            throw new Error(`secret ${ref.service}/${ref.name} (${ref.form ?? 'value'}) is not given by the service outside the cluster`);
          return value;
        },
        host: (ref) => hostOf(ref.service),
        // Sidecars share the pod's network.
        self: () => '127.0.0.1',
        peer: (ref) => {
          const peer = bySpec.get(ref.service)!;
          return serviceDns(`${ref.service}-${ref.index}.${ref.service}-headless`, nsOf(peer));
        },
        // Expanded by the kubelet from the POD_NAME variable the pod template defines (downward API);
        // a member's address is its pod's name under the headless Service, as its peers know it.
        member: (ref) => (ref.form === 'address' ? serviceDns(`$(POD_NAME).${spec.name}-headless`, nsOf(spec)) : '$(POD_NAME)'),
      }),
      readyOf: (service) => {
        if (!bySpec.has(service) && external[service]) return external[service].ready;
        const r = ready.get(service);
        if (!r) throw new Error(`${service} has not been rendered yet`);
        return r;
      },
      foundation: namespaces.all,
      commonLabels,
      chartLabels: labels,
      podPolicy: policyOf,
      dataPriorityClass: namespaces.dataPriorityClass,
      operators,
      certManager: () => (edge ? edge.certManager : [operators.ensure(CERT_MANAGER_WITHOUT_GATEWAY)]),
      // The same ConfigMap the applications' namespaces get (consumers.ts), after the namespace exists.
      internalCa: (namespace) =>
        ca
          ? {
              configMap: INTERNAL_CA_CONFIG_MAP,
              key: INTERNAL_CA_KEY,
              ready: [consumers.internalCaIn(namespace, commonLabels, namespaces.all)],
            }
          : undefined,
      specs,
      podsOf: (service) => this.groups.filter((g) => g.service === service),
    };

    const services = new Construct(this, 'services');
    // The monitoring stack last: it watches the pods of everything else (exporters a target adds
    // to the monitoring namespace before the stack's own parts).
    const watched = specs.filter((s) => s.concern !== 'monitoring' || s.component !== 'monitoring');
    const observers = specs.filter((s) => !watched.includes(s));
    for (const spec of [...watched, ...observers]) {
      const dependsOn = [
        ...spec.dependsOn.flatMap((d) => ctx.readyOf(d)),
        ...((spec.containers.some((c) => (c.gpus ?? 0) > 0) && devicePlugin) || []),
      ];
      const realization = rowOf(spec);
      const realized = realization.render(services, ctx, spec, dependsOn);
      ready.set(spec.name, realized.ready);
      this.groups.push(...realized.pods);
      consumers.publish(ctx, spec, realization, realized.ready);
    }

    // People's own passwords (mailboxes): for the operator to hand over, from the state only.
    const people = secrets.forPeople();
    if (Object.keys(people).length > 0) {
      new TerraformOutput(this, 'credentials', {
        description: "People's generated passwords (mailboxes) by service/name (terraform output -json credentials)",
        value: people,
        sensitive: true,
      }).overrideLogicalId('credentials');
    }
    dnsRecordsOutput(this, facts.publishesDns ? [] : specs, secrets);

    new NetworkPolicies(this, 'network-policies', {
      namespaces: this.namespaces,
      dns: facts.dns ?? DEFAULT_DNS,
      groups: [...this.groups, ...this.edgeGroups],
      connections: connections({
        specs,
        groups: [...this.groups, ...this.edgeGroups],
        scraper: { namespace: namespaceOf(prefix, 'monitoring'), labels: SCRAPER_LABELS },
        consumers: consumers.reach,
        external,
        ...(this.proxies ? { proxies: this.proxies } : {}),
        ...(facts.loadBalancerSources ? { loadBalancerSources: facts.loadBalancerSources } : {}),
      }),
      after: namespaces.namespaces,
    });
  }
}
