/**
 * Kubernetes target. So far it configures its providers (kubernetes, helm, random) against the
 * environment's explicit kubeconfig context; service rendering lands with the Kubernetes target
 * issue, reusing the same specs the Docker target renders.
 */
import type { Environment } from '../../../environments/load';
import { Construct } from '../../providers/cdktf';
import { HelmProvider, KubernetesProvider } from '../../providers/kubernetes';
import { RandomProvider } from '../../providers/random';

export class KubernetesTarget extends Construct {
  constructor(scope: Construct, id: string, props: { readonly environment: Environment }) {
    super(scope, id);
    const target = props.environment.target;
    if (target.kind !== 'kubernetes') throw new Error(`KubernetesTarget needs a kubernetes target, got ${target.kind}`);
    const cluster = { configPath: target.kubeconfig.path, configContext: target.kubeconfig.context };
    new KubernetesProvider(this, 'kubernetes', cluster);
    new HelmProvider(this, 'helm', { kubernetes: cluster });
    new RandomProvider(this, 'random');
  }
}
