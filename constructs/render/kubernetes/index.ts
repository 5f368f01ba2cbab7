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
import { placementsOf } from '../../targets/kubernetes/consumers';
import { InClusterPlatform } from './platform';

type Access = Extract<Environment['target'], { kind: 'kubernetes' }>['cluster'];

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
        ...(target.gateway ? { gateway: target.gateway } : {}),
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
