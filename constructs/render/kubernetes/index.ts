/**
 * Kubernetes target: the whole environment on any conformant cluster. It configures the kubernetes
 * and helm providers from the environment's access settings (a kubeconfig context, or the API
 * server with its CA and an exec plugin or a token from KUBE_TOKEN) and renders every service into
 * the cluster through `InClusterPlatform`.
 */
import type { Environment } from '../../../environments/parse/load';
import { Construct } from '../../providers/cdktf';
import { HelmProvider, KubernetesProvider } from '../../providers/kubernetes';
import { RandomProvider } from '../../providers/random';
import { TlsProvider } from '../../providers/tls';
import type { ServiceSpec } from '../../spec/types';
import { placementsOf } from '../../targets/kubernetes/consumers';
import { InClusterPlatform } from './platform';
import type { CertificateFacts } from './context';
import { namespaceOf } from '../../targets/kubernetes/naming';

type Access = Extract<Environment['target'], { kind: 'kubernetes' }>['cluster'];
type Gateway = NonNullable<Extract<Environment['target'], { kind: 'kubernetes' }>['gateway']>;

/**
 * How the certificates services serve are issued on a cluster with the Gateway: by the Gateway's own
 * issuer (its ACME ClusterIssuer answers HTTP-01 through the Gateway), or a private CA for
 * `self-signed`; cert-manager is the edge's.
 */
export function certificateFacts(gateway: Gateway, prefix: string): CertificateFacts {
  const issuer = gateway.issuer;
  switch (issuer.kind) {
    case 'self-signed':
      return { public: { kind: 'private-ca' }, certManager: 'edge' };
    case 'acme':
      return { public: { kind: 'ClusterIssuer', name: `${prefix}-acme`, http01: true }, certManager: 'edge' };
    case 'ClusterIssuer':
      return { public: { kind: 'ClusterIssuer', name: issuer.name, http01: true }, certManager: 'edge' };
    case 'Issuer':
      return { public: { kind: 'Issuer', name: issuer.name, namespace: namespaceOf(prefix, 'edge') }, certManager: 'edge' };
  }
}

/** Provider settings from the access settings (the same for both providers). */
export function providerConnection(access: Access) {
  switch (access.auth) {
    case 'kubeconfig':
      // The providers read no kubeconfig by default: the path is always written.
      return { configPath: access.path, configContext: access.context };
    case 'exec':
      return {
        host: access.host,
        clusterCaCertificate: access.caCertificate,
        exec: {
          apiVersion: access.exec.apiVersion,
          command: access.exec.command,
          args: [...access.exec.args],
          env: { ...access.exec.env },
        },
      };
    case 'token':
      // The token itself comes from KUBE_TOKEN in the deploying environment, never from this file.
      return { host: access.host, clusterCaCertificate: access.caCertificate };
  }
}

export class KubernetesTarget extends Construct {
  readonly platform: InClusterPlatform;

  constructor(scope: Construct, id: string, props: { readonly environment: Environment }) {
    super(scope, id);
    const env = props.environment;
    const target = env.target;
    if (target.kind !== 'kubernetes') throw new Error(`KubernetesTarget needs a kubernetes target, got ${target.kind}`);
    const connection = providerConnection(target.cluster);
    const { exec, ...rest } = connection as { exec?: { apiVersion: string; command: string; args: string[]; env: Record<string, string> } };
    new KubernetesProvider(this, 'kubernetes', { ...rest, ...(exec ? { exec: [exec] } : {}) });
    new HelmProvider(this, 'helm', { kubernetes: { ...rest, ...(exec ? { exec } : {}) } });
    new RandomProvider(this, 'random');
    // Keys the services sign with (DKIM) and the internal CA come from the tls provider.
    if (usesKeys(env.specs) || servesCertificates(env.specs)) new TlsProvider(this, 'tls');
    this.platform = new InClusterPlatform(this, 'platform', {
      environment: env,
      specs: env.specs,
      cluster: {
        namespacePrefix: target.namespacePrefix,
        ...(target.storageClass ? { storageClass: target.storageClass } : {}),
        ...(target.zones ? { zones: target.zones } : {}),
        apiServerCidrs: target.apiServerCidrs,
        dns: target.dns,
        existingOperators: Object.fromEntries(
          (
            [
              ['cnpg', target.operators.cloudnativePg],
              ['eck', target.operators.eck],
            ] as const
          ).flatMap(([name, choice]) => (choice.use === 'existing' ? [[name, choice.namespace]] : [])),
        ),
        consumers: placementsOf(env.consumers, target.namespacePrefix),
        ...(target.gateway
          ? { gateway: target.gateway, certificates: certificateFacts(target.gateway, target.namespacePrefix) }
          : servesCertificates(env.specs)
            ? // Internal TLS without a Gateway: cert-manager from this platform, every certificate from the internal CA.
              { certificates: { public: { kind: 'private-ca' }, certManager: 'install' } }
            : {}),
        mail: { service: { type: 'LoadBalancer', annotations: { ...target.mail.annotations } }, clientAddress: target.mail.clientAddress },
        ...(target.gpu
          ? {
              gpu: {
                resourceName: target.gpu.resourceName,
                nodeSelector: target.gpu.nodeSelector,
                tolerations: target.gpu.tolerations,
                installDevicePlugin: target.gpu.devicePlugin === 'install',
                featureDiscovery: target.gpu.featureDiscovery,
                waitForRollout: target.gpu.waitForRollout,
              },
            }
          : {}),
      },
    });
  }
}

/** Whether a spec serves a certificate (the internal CA signs the ones without a public name: the tls provider). */
export function servesCertificates(specs: readonly ServiceSpec[]): boolean {
  return specs.some((s) => (s.certificates ?? []).length > 0);
}

/** Whether the specs generate a key with the tls provider (`SecretSpec.kind: 'rsa-private-key'`). */
export function usesKeys(specs: readonly ServiceSpec[]): boolean {
  return specs.some((s) => s.secrets.some((x) => x.kind === 'rsa-private-key'));
}
