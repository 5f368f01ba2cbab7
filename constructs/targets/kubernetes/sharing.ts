/**
 * Environments that share a cluster (pure): which cluster an environment deploys into, and which
 * operators it installs there. Operators install cluster-wide objects with fixed names (CRDs,
 * webhook configurations, cluster roles) into fixed namespaces, so one cluster runs each once.
 */
import type { Environment } from '../../../environments/parse/load';

/** The cluster an environment deploys into, as its access settings name it (`undefined`: a cluster it creates). */
export function clusterOf(env: Environment): string | undefined {
  if (env.target.kind !== 'kubernetes') return undefined;
  const c = env.target.cluster;
  return c.auth === 'kubeconfig' ? `kubeconfig ${c.path} context ${c.context}` : `API server ${c.host}`;
}

/** An operator an environment installs, and the field that would make it use an existing one instead. */
export interface InstalledOperator {
  readonly name: string;
  readonly namespace: string;
  /** Where to say "use the one that is there" in the environment file. */
  readonly path: string;
  readonly instead: string;
}

export function installedOperators(env: Environment): InstalledOperator[] {
  if (env.target.kind !== 'kubernetes') return [];
  const t = env.target;
  const has = (name: string) => env.specs.some((s) => s.name === name);
  return [
    ...(has('postgres') && t.operators.cloudnativePg.use === 'install'
      ? [
          {
            name: 'CloudNativePG',
            namespace: 'cnpg-system',
            path: 'target.operators.cloudnativePg',
            instead: "{ use: 'existing', namespace: 'cnpg-system' }",
          },
        ]
      : []),
    ...(has('elasticsearch') && t.operators.eck.use === 'install'
      ? [
          {
            name: 'ECK',
            namespace: 'elastic-system',
            path: 'target.operators.eck',
            instead: "{ use: 'existing', namespace: 'elastic-system' }",
          },
        ]
      : []),
    ...(t.gateway?.implementation.install === 'envoy-gateway'
      ? [
          {
            name: 'Envoy Gateway',
            namespace: 'envoy-gateway-system',
            path: 'target.gateway.implementation',
            instead: "{ install: 'none', gatewayClass, proxies } (the first environment's GatewayClass)",
          },
        ]
      : []),
    ...(t.gateway?.installCertManager
      ? [{ name: 'cert-manager', namespace: 'cert-manager', path: 'target.gateway.installCertManager', instead: 'false' }]
      : []),
    ...(t.gpu?.devicePlugin === 'install'
      ? [{ name: 'the NVIDIA device plugin', namespace: 'nvidia-device-plugin', path: 'target.gpu.devicePlugin', instead: "'present'" }]
      : []),
  ];
}
