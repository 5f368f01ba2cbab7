/**
 * External endpoints through the Gateway API: the ports a spec marks `external` (and only those) are
 * routed from one Gateway in `<prefix>-edge`, each under `<service>.<domain>` on its own HTTPS
 * listener, with a certificate cert-manager issues for the Gateway (its gateway-shim reads the
 * issuer annotation and creates one Certificate per listener). Port 80 only redirects to HTTPS and
 * serves ACME HTTP-01 challenges. Nothing is exposed when the environment has no `target.gateway`.
 *
 * Installed on an empty cluster in this order (one apply):
 * 1. Envoy Gateway (chart gateway-helm, when the environment installs it): it brings the Gateway API
 *    CRDs (v1.6.1, experimental channel) and its own;
 * 2. cert-manager (when installed), after Envoy Gateway: with Gateway API support on, its controller
 *    does not start before the Gateway API CRDs exist;
 * 3. the local chart `charts/platform-edge` (GatewayClass + EnvoyProxy when Envoy Gateway is ours,
 *    the Gateway, the redirect, the ACME ClusterIssuer when configured, an HTTPRoute per external
 *    port, the ReferenceGrants in the backends' namespaces, and a BackendTLSPolicy where the backend
 *    speaks TLS with its own CA, as ECK's Kibana does), after both controllers are ready.
 *
 * Where the proxies run decides the network policy of the exposed ports. Envoy Gateway runs them in
 * its own namespace (its default "ControllerNamespace" deploy mode, which keeps mTLS between proxies
 * and controller; "GatewayNamespace" mode would need JWT tokens mounted in our namespace), labelled
 * with the owning Gateway's name and namespace; a Gateway API implementation the cluster already
 * runs says where its proxies are in the environment file.
 */
import * as path from 'node:path';
import { AssetType, Construct, TerraformAsset, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease } from '../../providers/kubernetes';
import { amountsOf, readsAs } from './footprint';
import type { ServiceSpec } from '../../spec/types';
import { pinAddress } from '../terraform';
import { externalPorts } from './connectivity';
import { serviceDns } from '../../targets/kubernetes/naming';
import type { GatewayFacts, PodGroup } from './context';

export type { GatewayFacts };
import type { OperatorChart, Operators } from './operators';
import { chartPodLabels } from './pod-policy';

/**
 * Images of the edge's charts pinned by content digest (multi-architecture index digests, so arm64
 * and amd64 nodes pull the same release). No registry is reachable from where this was built: each
 * digest was taken from public repositories that pin the same tag and agree (the sources are in
 * the closing note of issue 13), so verify them once where a registry is reachable
 * (`crane digest <image>:<tag>`) and whenever a chart version moves.
 */
export const EDGE_IMAGE_DIGESTS = {
  /** cert-manager v1.21.1 (three independent pins agree; acmesolver from one source). */
  certManager: {
    controller: 'sha256:416a2d76870d996460e62bd7f521bf14fa017be9e3e904aab92163a331fcb61a',
    webhook: 'sha256:d8b3961b51c8c7320633f8208dc46bf88aa13804d0f7cbe48a096b2c523cee42',
    cainjector: 'sha256:ccf6b919ec0500745a47a910118f834f9636d0aac1ff221245cd2557ed8c7c98',
    acmesolver: 'sha256:dbc7cc1354f603918e7c5af7f55a0a620537394452c93a565bde75c6f48e8837',
    startupapicheck: 'sha256:d8ab6416e6e7303a86fa0a8daa82c94a8001f21c9d78eb2e7db20534e5d07ae8',
  },
  /** The proxies' Envoy, the image Envoy Gateway 1.9.0 runs by default (api/v1alpha1/shared_types.go). */
  envoyProxy: 'docker.io/envoyproxy/envoy:distroless-v1.39.0@sha256:7877ad87afd7459e1bd2a077ff601fec7c93aeecd62e71664560d96328c62cf4',
  /**
   * Envoy Gateway's own controller (docker.io/envoyproxy/gateway:v1.9.0, the chart's default) has no
   * digest here: none was found in any public source at hand, and a guessed one would stop the pull.
   * It stays pinned by the chart version's tag until a digest can be read from the registry.
   */
  envoyGatewayController: undefined,
} as const;

/** Envoy Gateway v1.9.0 (chart gateway-helm). Its controller, certgen job and proxies meet `restricted`. */
export const ENVOY_GATEWAY: OperatorChart = {
  name: 'envoy-gateway',
  namespace: 'envoy-gateway-system',
  repository: 'oci://docker.io/envoyproxy',
  chart: 'gateway-helm',
  version: 'v1.9.0',
  // Controller and certgen: uid 65532, read-only, drop ALL, RuntimeDefault (chart values); proxies:
  // drop ALL, no escalation, runAsNonRoot, RuntimeDefault (proxy/resource.go, DefaultSecurityContext).
  podSecurity: 'restricted',
  values: {
    // The Gateway API CRDs (experimental channel) and Envoy Gateway's own, from the chart's crds/
    // directory: installed once, never upgraded by Helm (docs/operations.md has the upgrade step).
    crds: { enabled: true },
    deployment: { replicas: 2 },
    podDisruptionBudget: { minAvailable: 1 },
    // The proxies' image by digest (the controller's digest is not known: EDGE_IMAGE_DIGESTS).
    global: { images: { envoyProxy: { image: EDGE_IMAGE_DIGESTS.envoyProxy } } },
  },
  pod: (p) => {
    const pod = { labels: chartPodLabels(p), securityContext: p.podSecurityContext };
    return {
      deployment: { pod, envoyGateway: { securityContext: p.containerSecurityContext } },
      certgen: { job: { pod, securityContext: p.containerSecurityContext } },
    };
  },
  // Resources: the chart's defaults unless the values set them (gateway-helm v1.9.0 values.yaml,
  // deployment.envoyGateway.resources); the certgen job runs once and ends.
  footprint: (v) => {
    const set = v.deployment?.envoyGateway?.resources;
    return [
      {
        name: 'envoy-gateway',
        namespace: 'envoy-gateway-system',
        replicas: v.deployment?.replicas ?? 1,
        containers: [amountsOf('envoy-gateway', set ?? { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1024Mi' } })],
        storage: [],
        ...(set ? {} : { source: 'resources: gateway-helm v1.9.0 defaults' }),
      },
    ];
  },
};

/** cert-manager v1.21.1 with its CRDs and Gateway API support (the gateway-shim and HTTP-01 through a Gateway). */
export const CERT_MANAGER: OperatorChart = {
  name: 'cert-manager',
  namespace: 'cert-manager',
  repository: 'https://charts.jetstack.io',
  chart: 'cert-manager',
  version: 'v1.21.1',
  // runAsNonRoot + RuntimeDefault pods, no escalation, drop ALL, read-only (values.yaml securityContext).
  podSecurity: 'restricted',
  values: {
    // Every image by digest (the chart renders `image:tag@digest` and pulls by the digest).
    image: { digest: EDGE_IMAGE_DIGESTS.certManager.controller },
    webhook: { image: { digest: EDGE_IMAGE_DIGESTS.certManager.webhook } },
    cainjector: { image: { digest: EDGE_IMAGE_DIGESTS.certManager.cainjector } },
    acmesolver: { image: { digest: EDGE_IMAGE_DIGESTS.certManager.acmesolver } },
    startupapicheck: { image: { digest: EDGE_IMAGE_DIGESTS.certManager.startupapicheck } },
    crds: { enabled: true, keep: true },
    config: {
      apiVersion: 'controller.config.cert-manager.io/v1alpha1',
      kind: 'ControllerConfiguration',
      // `enableGatewayAPI` is the deprecated spelling (types.go, GatewayAPIConfig).
      gatewayAPI: { enabled: true },
    },
  },
  // The controller, webhook, cainjector and startup check; `global.commonLabels` also reaches the
  // HTTP-01 solver pods cert-manager creates.
  pod: (p) => {
    const component = {
      podLabels: chartPodLabels(p),
      securityContext: p.podSecurityContext,
      containerSecurityContext: p.containerSecurityContext,
    };
    return {
      global: { commonLabels: chartPodLabels(p) },
      ...component,
      webhook: component,
      cainjector: component,
      startupapicheck: component,
    };
  },
  // Three Deployments, one replica each and no resources unless set (cert-manager v1.21.1
  // values.yaml: replicaCount 1, resources {}); the startup check is a Job that ends.
  footprint: (v) =>
    (
      [
        ['cert-manager', v],
        ['cert-manager-webhook', v.webhook],
        ['cert-manager-cainjector', v.cainjector],
      ] as const
    ).map(([name, part]) => ({
      name,
      namespace: 'cert-manager',
      replicas: part?.replicaCount ?? 1,
      containers: [amountsOf(name, part?.resources)],
      storage: [],
    })),
};

/** The Gateway every external route hangs off, in the edge namespace. */
export const GATEWAY_NAME = 'edge';
/** The controller name Envoy Gateway's chart configures (values: config.envoyGateway.gateway.controllerName). */
export const ENVOY_GATEWAY_CONTROLLER = 'gateway.envoyproxy.io/gatewayclass-controller';
/** The port cert-manager's HTTP-01 solver pods listen on (pkg/issuer/acme/http/http.go). */
export const ACME_SOLVER_PORT = 8089;

/** One external port, as the Gateway routes it. */
export interface ExposedPort {
  readonly service: string;
  readonly host: string;
  /** The Service the route sends to (the realization's client Service) and its namespace. */
  readonly backend: string;
  readonly namespace: string;
  readonly port: number;
  /** When the Service speaks TLS: its CA's Secret (in `namespace`) and the name its certificate carries. */
  readonly tls?: { readonly caSecret: string; readonly hostname: string };
}

/** The external ports of the specs, with their hosts; an external port must speak HTTP, one per service. */
export function exposedPorts(
  specs: readonly ServiceSpec[],
  domain: string,
  backendOf: (spec: ServiceSpec) => { readonly service: string; readonly namespace: string; readonly tls?: { readonly caSecret: string } },
): ExposedPort[] {
  return specs.flatMap((spec) => {
    const external = externalPorts(spec);
    if (external.length === 0) return [];
    if (external.length > 1) {
      throw new Error(
        `${spec.name}: ports ${external.map((p) => p.name).join(', ')} are all external; one per service (its host is ${spec.name}.${domain})`,
      );
    }
    const p = external[0]!;
    if (p.appProtocol !== 'http' || p.protocol !== 'tcp')
      throw new Error(`${spec.name}: external port ${p.name} must be HTTP over TCP (it is routed by an HTTPRoute)`);
    const b = backendOf(spec);
    return [
      {
        service: spec.name,
        host: `${p.externalHost ?? spec.name}.${domain}`,
        backend: b.service,
        namespace: b.namespace,
        port: p.port,
        ...(b.tls ? { tls: { caSecret: b.tls.caSecret, hostname: serviceDns(b.service, b.namespace) } } : {}),
      },
    ];
  });
}

/** The proxies' pods: the only source the exposed ports admit. */
export function proxiesOf(
  gateway: GatewayFacts,
  edgeNamespace: string,
): { readonly namespace: string; readonly labels: Readonly<Record<string, string>> } {
  if (gateway.implementation.install === 'none') {
    return { namespace: gateway.implementation.proxies.namespace, labels: { ...gateway.implementation.proxies.podLabels } };
  }
  // The labels Envoy Gateway puts on a Gateway's proxy pods (proxy/resource.go EnvoyAppLabel,
  // gatewayapi/helpers.go GatewayOwnerLabels).
  return {
    namespace: ENVOY_GATEWAY.namespace,
    labels: {
      'app.kubernetes.io/name': 'envoy',
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'gateway.envoyproxy.io/owning-gateway-name': GATEWAY_NAME,
      'gateway.envoyproxy.io/owning-gateway-namespace': edgeNamespace,
    },
  };
}

/** The values of charts/platform-edge: names, hosts and ports only. */
export function edgeValues(props: {
  readonly gateway: GatewayFacts;
  readonly prefix: string;
  readonly exposed: readonly ExposedPort[];
  readonly labels: Readonly<Record<string, string>>;
  /** Namespaces besides the edge's whose ACME HTTP-01 challenge routes attach to the `http` listener. */
  readonly challengeNamespaces?: readonly string[];
}): Record<string, unknown> {
  const { gateway, prefix, exposed } = props;
  const ours = gateway.implementation.install === 'envoy-gateway';
  const issuer =
    gateway.issuer.kind === 'acme'
      ? { kind: 'ClusterIssuer', name: `${prefix}-acme` }
      : gateway.issuer.kind === 'self-signed'
        ? { kind: 'Issuer', name: `${prefix}-ca` }
        : { kind: gateway.issuer.kind, name: gateway.issuer.name };
  const grants = new Map<string, Set<string>>();
  for (const e of exposed) grants.set(e.namespace, (grants.get(e.namespace) ?? new Set()).add(e.backend));
  return {
    labels: { ...props.labels },
    gatewayClass: {
      create: ours,
      name: ours ? prefix : (gateway.implementation as { gatewayClass: string }).gatewayClass,
      controllerName: ENVOY_GATEWAY_CONTROLLER,
    },
    envoyProxy: { name: GATEWAY_NAME, replicas: 2 },
    gateway: { name: GATEWAY_NAME, issuer, challengeNamespaces: [...(props.challengeNamespaces ?? [])] },
    acme:
      gateway.issuer.kind === 'acme'
        ? { create: true, name: issuer.name, email: gateway.issuer.email ?? '', server: gateway.issuer.server }
        : { create: false, name: '', email: '', server: '' },
    // A private CA: a self-signed root and the Issuer that signs with it, in the edge namespace.
    selfSigned: gateway.issuer.kind === 'self-signed' ? { create: true, name: issuer.name } : { create: false, name: '' },
    routes: exposed.map((e) => ({
      name: e.service,
      host: e.host,
      service: e.backend,
      namespace: e.namespace,
      port: e.port,
      ...(e.tls ? { tls: { ...e.tls } } : {}),
    })),
    referenceGrants: [...grants]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([namespace, services]) => ({ namespace, services: [...services].sort() })),
  };
}

export interface EdgeProps {
  readonly gateway: GatewayFacts;
  readonly prefix: string;
  /** The edge namespace (created by the platform with its Pod Security labels). */
  readonly namespace: string;
  readonly exposed: readonly ExposedPort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly operators: Operators;
  /** Namespaces (the edge's and the backends'), before the routes and grants go in. */
  readonly foundation: readonly ITerraformDependable[];
  /** Namespaces besides the edge's whose certificates answer ACME HTTP-01 challenges through the Gateway. */
  readonly challengeNamespaces?: readonly string[];
}

export class Edge extends Construct {
  readonly release: HelmRelease;
  readonly controllers: readonly HelmRelease[];
  /** What a certificate waits for: cert-manager, where this stack installs it. */
  readonly certManager: readonly ITerraformDependable[];
  /** cert-manager's HTTP-01 solver pods in the edge namespace, reached by the proxies only. */
  readonly solvers: PodGroup;
  readonly proxies: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { gateway } = props;
    const controllers: HelmRelease[] = [];
    if (gateway.implementation.install === 'envoy-gateway') controllers.push(props.operators.ensure(ENVOY_GATEWAY));
    // After Envoy Gateway: cert-manager's Gateway support needs the Gateway API CRDs at start.
    if (gateway.installCertManager) controllers.push(props.operators.ensure(CERT_MANAGER, [...controllers]));
    this.controllers = controllers;
    this.certManager = gateway.installCertManager ? [controllers.at(-1)!] : [];
    this.proxies = proxiesOf(gateway, props.namespace);

    // From the repository through an asset: a changed template changes the path, so Helm upgrades.
    const chart = new TerraformAsset(this, 'platform-edge', {
      path: path.resolve(import.meta.dirname, '..', '..', '..', 'charts', 'platform-edge'),
      type: AssetType.DIRECTORY,
    });
    this.release = pinAddress(
      new HelmRelease(this, 'release', {
        name: 'platform-edge',
        namespace: props.namespace,
        chart: chart.path,
        values: [JSON.stringify(edgeValues(props), null, 2)],
        createNamespace: false,
        wait: true,
        timeout: 300,
        maxHistory: 10,
        atomic: false,
        dependsOn: [...props.foundation, ...controllers],
      }),
      'platform_edge',
    );
    // The Gateway's Envoy proxies, created by Envoy Gateway with its own default resources (not in the values).
    readsAs(this.release, (v) =>
      v.envoyProxy
        ? [
            {
              name: `envoy proxy ${v.envoyProxy.name}`,
              namespace: props.namespace,
              replicas: Number(v.envoyProxy.replicas),
              containers: [amountsOf('envoy', v.envoyProxy.resources)],
              storage: [],
            },
          ]
        : [],
    );

    this.solvers = {
      id: 'acme-http01-solver',
      service: 'acme-http01-solver',
      namespace: props.namespace,
      labels: { 'acme.cert-manager.io/http01-solver': 'true' },
      ports: [{ port: ACME_SOLVER_PORT, purpose: 'client', protocol: 'TCP' }],
      role: 'server',
      ingressFrom: [
        {
          namespace: this.proxies.namespace,
          labels: this.proxies.labels,
          ports: [ACME_SOLVER_PORT],
          reason: "the Gateway's proxies reach cert-manager's HTTP-01 solver (ACME challenges)",
        },
      ],
    };
  }
}
