/**
 * Kibana on ECK (the `Kibana` resource from charts/platform-elastic, after the Elasticsearch release):
 * ECK connects it to Elasticsearch with a service account token of its own (the Docker target's
 * kibana_system password is not used), serves it over HTTPS with its own CA, and rolls the pods when
 * their configuration or keystore changes.
 *
 * From the spec: the version and image, the replicas and the resources; from its facet: the
 * environment (NODE_OPTIONS) and the kibana.yml settings any deployment takes (`status.allowAnonymous:
 * false` as on Docker, telemetry off, ...; ECK owns the listener and the Elasticsearch association).
 * The three encryption keys are generated secrets: they reach Kibana's
 * keystore through `spec.secureSettings` (a Secret with one key per setting, ECK's documented way;
 * Kibana's keystore overrides kibana.yml, where ECK would otherwise put keys of its own), so every
 * replica shares them and a rotation rolls the pods.
 *
 * Pod Security `restricted`: ECK's default pod context has no `runAsNonRoot` and its keystore init
 * container only `privileged: false`, so the pod template sets both (ECK keeps a user-given pod
 * security context whole and merges init containers by name: `defaults/pod_template.go`).
 *
 * Metrics: the spec's blackbox probe runs as its own Deployment against `<name>-kb-http` (HTTPS with
 * the CA from `<name>-kb-http-certs-public`), as the monitoring user.
 */
import type { KibanaFacet } from '../../services/elasticsearch';
import type { ServiceSpec } from '../../spec/types';
import { probeOf } from '../../targets/kubernetes/kibana';
import { Construct, type ITerraformDependable } from '../../providers/cdktf';
import { PodDisruptionBudgetV1, SecretV1 } from '../../providers/kubernetes';
import { secretRef } from '../../spec/template';
import { pinAddress } from '../terraform';
import type { K8sContext, PodGroup, Realization, Realized } from './context';
import { CA_DIR, Helper, eckBasis, elasticRelease } from './eck';
import { imageOf } from './pod';
import { canonicalResources } from '../../targets/kubernetes/quantities';

/** The name ECK gives Kibana's keystore init container (`pkg/controller/common/keystore`). */
const KEYSTORE_INIT = 'elastic-internal-init-keystore';

/** The probe's blackbox module with the CA of Kibana's certificate (the target is HTTPS on ECK). */
export function withCaFile(blackboxYml: string, caFile: string): string {
  const anchor = '    http:\n';
  if (!blackboxYml.includes(anchor)) throw new Error('the probe module has no http prober');
  return blackboxYml.replace(anchor, `${anchor}      tls_config:\n        ca_file: ${caFile}\n`);
}

export const kibana: Realization<KibanaFacet> = {
  describe: () => 'Kibana resource on ECK (chart platform-elastic, in this repository); probe as its own Deployment',
  why: () =>
    'Managed by ECK beside the Elasticsearch it connects to: the association gives it a service account and the CA to trust, and ECK serves it over TLS; its encryption keys come from the generated secrets as secure settings.',
  serviceName: (spec) => `${spec.name}-kb-http`,
  // ECK serves Kibana over HTTPS with its own CA (the certificate names `<name>-kb-http.<namespace>.svc`).
  serviceTls: (spec) => ({ caSecret: `${spec.name}-kb-http-certs-public` }),
  render: (scope, ctx, spec, dependsOn) => new EckKibana(scope, spec.name, ctx, spec, dependsOn).realized,
};

/** The policy's container context for a container ECK runs as its image's user. */
const policyContainer = (ctx: K8sContext) => {
  const { readOnlyRootFilesystem: _, ...c } = ctx.podPolicy({ selector: {} }).containerSecurityContext;
  return c;
};

class EckKibana extends Construct {
  readonly realized: Realized;

  constructor(
    scope: Construct,
    id: string,
    ctx: K8sContext,
    spec: ServiceSpec<string, KibanaFacet>,
    dependsOn: readonly ITerraformDependable[],
  ) {
    super(scope, id);
    const { ns, main, version, operator, labels, policy } = eckBasis(ctx, spec, 'Kibana');
    const [es] = spec.dependsOn;
    if (!es) throw new Error(`${spec.name}: Kibana needs the Elasticsearch it depends on`);

    const keys = pinAddress(
      new SecretV1(this, 'encryption-keys', {
        metadata: { name: `${spec.name}-encryption-keys`, namespace: ns, labels },
        type: 'Opaque',
        data: Object.fromEntries(
          Object.entries(spec.facet.encryptionKeys).map(([setting, secret]) => [setting, ctx.secrets.value(secretRef(spec.name, secret))]),
        ),
        dependsOn: [...ctx.foundation],
      }),
      spec.name,
      'encryption_keys',
      'secret',
    );

    const env = Object.entries(spec.facet.env).map(([name, value]) => ({ name, value }));
    const selector = { 'kibana.k8s.elastic.co/name': spec.name };
    const pod = policy(selector, spec.replicas);
    const podTemplate = {
      metadata: pod.metadata,
      spec: {
        // The policy's pod context: ECK's own (fsGroup, RuntimeDefault) plus runAsNonRoot, which
        // `restricted` requires (ECK keeps a user-given pod context whole).
        ...pod.spec,
        containers: [
          {
            name: 'kibana',
            env,
            resources: canonicalResources(main.resources),
          },
        ],
        // The keystore tool writes into the keystore volume, its root filesystem stays writable as ECK leaves it.
        initContainers: [{ name: KEYSTORE_INIT, securityContext: { ...policyContainer(ctx), readOnlyRootFilesystem: false } }],
      },
    };
    const values = {
      // The objects the chart creates: the platform's labels and the environment's.
      labels: ctx.chartLabels,
      kibana: {
        enabled: true,
        name: spec.name,
        version,
        image: imageOf(main),
        count: spec.replicas,
        elasticsearchRef: es,
        config: spec.facet.settings,
        secureSettings: [`${spec.name}-encryption-keys`],
        podTemplate,
      },
    };
    const release = elasticRelease(this, ctx, spec, values, [...dependsOn, ...ctx.foundation, ...operator.ready, keys], {
      timeoutSeconds: 300,
      preventDestroy: false,
    });

    if (spec.replicas > 1) {
      // ECK makes no budget for Kibana; one instance at a time may go (it keeps no state).
      pinAddress(
        new PodDisruptionBudgetV1(this, 'pdb', {
          metadata: { name: spec.name, namespace: ns, labels },
          spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
          dependsOn: [...ctx.foundation],
        }),
        spec.name,
        'pdb',
      );
    }

    const probe = probeOf(spec);
    const helper = new Helper(this, ctx, spec, {
      part: 'probe',
      container: {
        ...probe,
        files: probe.files.map((f) =>
          f.format === 'blackbox.yml' && typeof f.content === 'string' ? { ...f, content: withCaFile(f.content, `${CA_DIR}/ca.crt`) } : f,
        ),
      },
      caSecret: `${spec.name}-kb-http-certs-public`,
      dependsOn: [release],
    });

    const server: PodGroup = {
      id: spec.name,
      service: spec.name,
      namespace: ns,
      labels: selector,
      ports: main.ports.map((p) => ({ port: p.port, purpose: p.purpose, protocol: 'TCP' as const })),
      role: 'server',
    };
    this.realized = { ready: [release, helper.deployment], pods: [server, helper.group] };
  }
}
