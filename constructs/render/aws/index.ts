/**
 * AWS target: one stack per environment with the network, EKS and its node pools, the managed data
 * services the environment keeps out of the cluster, and what runs in the cluster.
 *
 * What waits for what (a first deploy takes as long as the longest chain): the managed services need
 * only the network, the keys and the nodes' security group, so they are created side by side with
 * the cluster; node groups wait for the add-ons nodes need to become Ready (CNI, kube-proxy, the Pod
 * Identity agent); CoreDNS and the EBS CSI driver wait for the system nodes; everything in the
 * cluster waits for the admin access entries, the nodes and those add-ons.
 */
import type { Environment } from '../../../environments/parse/load';
import { GeneratedSecrets } from '../secrets';
import { AwsProvider } from '../../providers/aws';
import { AwsBackup } from './backup';
import { Construct, TerraformOutput } from '../../providers/cdktf';
import { RandomProvider } from '../../providers/random';
import { TlsProvider } from '../../providers/tls';
import { servesCertificates, usesKeys } from '../kubernetes';
import { Addons } from './addons';
import { AwsContext } from './context';
import { Cluster } from './eks';
import { InCluster, consumerPlacements, consumerRoleName } from './in-cluster';
import { Keys } from './keys';
import { managedIdentities, placeServices } from '../../targets/aws/placement';
import type { ManagedEndpoint } from './managed';
import { managedRenderers } from './managed-renderers';
import { Network } from './network';
import { NodePools } from './node-pools';

const placement0 = (env: Environment) => placeServices(env).inCluster;

export class AwsTarget extends Construct {
  constructor(scope: Construct, id: string, props: { readonly environment: Environment }) {
    super(scope, id);
    const env = props.environment;
    const ctx = new AwsContext(env);
    const target = ctx.target;
    new AwsProvider(this, 'aws', {
      region: target.region,
      ...(target.accountId ? { allowedAccountIds: [target.accountId] } : {}),
      defaultTags: [{ tags: { Project: env.project, Environment: env.name, ManagedBy: 'cdktf', ...env.labels } }],
    });
    new RandomProvider(this, 'random');
    // Keys the services sign with (DKIM) come from the tls provider.
    if (usesKeys(placement0(env)) || servesCertificates(placement0(env))) new TlsProvider(this, 'tls');

    const network = new Network(this, 'network', ctx);
    const keys = new Keys(this, 'keys', ctx);
    network.flowLogs(ctx, keys.logs);
    if (env.backups) new AwsBackup(this, 'backup', ctx, keys);
    const cluster = new Cluster(this, 'eks', ctx, network, keys);
    network.interfaceEndpoints(ctx, cluster.nodeSecurityGroup);
    const addons = new Addons(this, 'addons', ctx, cluster);
    const pools = new NodePools(this, 'node-pools', ctx, cluster, network, addons.beforeNodes);
    const afterNodes = addons.afterNodes(pools);

    // Managed services: generated secrets they reuse from the specs, then one renderer per service.
    const placement = placeServices(env);
    const secrets = new GeneratedSecrets(
      this,
      'managed-secrets',
      placement.managed.map(({ spec, equivalent }) => ({
        ...spec,
        secrets: spec.secrets.filter(
          (s) =>
            managedRenderers[equivalent].reusesSecrets.includes(s.name) || (managedIdentities[equivalent] && s.audience === 'application'),
        ),
      })),
    );
    // The IAM role each consumer's pods run with (a managed service may map it to the consumer's identity).
    const consumerRole = consumerRoleName(ctx, consumerPlacements(env, target.eks.namespace), target.eks.namespace);
    const managed = new Map<string, ManagedEndpoint>();
    const managedScope = new Construct(this, 'managed');
    // Keyed by the catalogue entry (`objectstore`, not the in-cluster engine's name).
    for (const { spec, equivalent, config, configKey } of placement.managed) {
      managed.set(
        configKey,
        managedRenderers[equivalent].render(
          managedScope,
          { ctx, network, keys, clients: cluster.nodeSecurityGroup, secrets, consumerRole },
          spec,
          config,
        ),
      );
    }

    new InCluster(this, 'in-cluster', {
      environment: env,
      ctx,
      cluster,
      pools,
      addons: afterNodes,
      managed,
      inClusterSpecs: placement.inCluster,
      network,
      keys,
    });

    new TerraformOutput(this, 'cluster-name', { value: cluster.cluster.name, description: 'EKS cluster name' }).overrideLogicalId(
      'cluster_name',
    );
    new TerraformOutput(this, 'managed-services', {
      description: 'Which catalogue services run as AWS managed services, and as what',
      value: Object.fromEntries(placement.managed.map(({ configKey, equivalent }) => [configKey, managedRenderers[equivalent].title])),
    }).overrideLogicalId('managed_services');
  }
}
