/**
 * The certificates services serve themselves (`ServiceSpec.certificates`: the mail server's for SMTP
 * and IMAP, Kong's TLS listener), issued by cert-manager into a Secret in the service's namespace,
 * which the pods mount as a directory (a renewal reaches them without a restart; docker-mailserver
 * reloads on the change).
 *
 * Who issues what (the local chart `charts/platform-certificates`, after cert-manager):
 * - a certificate with public names (the mail server's `mail.<domain>`) by the environment's issuer:
 *   the Gateway's ACME ClusterIssuer (HTTP-01 through the Gateway: the challenge's route attaches
 *   from the certificate's namespace, and its solver pod there is admitted from the proxies only), a
 *   ClusterIssuer of the cluster, ACME DNS-01 in Route 53 (AWS), or a private CA;
 * - a certificate without one (Kong's, seen by the platform's own clients only) by a private CA of
 *   its namespace: a public CA cannot issue a `*.svc` name.
 */
import * as path from 'node:path';
import { AssetType, Construct, TerraformAsset, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease } from '../../providers/kubernetes';
import type { CertificateSpec, ServiceSpec } from '../../spec/types';
import { serviceDns } from '../../targets/kubernetes/naming';
import { pinAddress } from '../terraform';
import type { CertificateFacts, PodGroup } from './context';
import { ACME_SOLVER_PORT, CERT_MANAGER } from './edge';
import type { OperatorChart, Operators } from './operators';
import { readsAs } from './footprint';

/** The issuer of every private CA (one per namespace that needs one). */
export const PRIVATE_CA_ISSUER = 'platform-private-ca';

/** cert-manager for a cluster without the Gateway: the same release, without its Gateway API support (no CRDs to wait for). */
export const CERT_MANAGER_WITHOUT_GATEWAY: OperatorChart = {
  ...CERT_MANAGER,
  values: { ...CERT_MANAGER.values, config: { apiVersion: 'controller.config.cert-manager.io/v1alpha1', kind: 'ControllerConfiguration' } },
};

/** One certificate as the chart issues it. */
export interface IssuedCertificate {
  readonly service: string;
  readonly certificate: string;
  readonly name: string;
  readonly namespace: string;
  readonly secretName: string;
  readonly dnsNames: readonly string[];
  readonly issuer: { readonly kind: 'Issuer' | 'ClusterIssuer'; readonly name: string };
  /** Its ACME HTTP-01 challenge is answered through the Gateway from its namespace. */
  readonly http01: boolean;
}

/** The Secret a certificate of a spec is issued into. */
export const certificateSecret = (spec: Pick<ServiceSpec, 'name'>, cert: Pick<CertificateSpec, 'name'>) => `${spec.name}-${cert.name}`;

/** The ACME DNS-01 ClusterIssuer's name. */
export const acmeRoute53Issuer = (prefix: string) => `${prefix}-acme-dns`;

/** What the chart issues for the specs (pure: the edge needs the challenge namespaces before it renders). */
export function planCertificates(
  specs: readonly ServiceSpec[],
  facts: CertificateFacts,
  prefix: string,
  namespaceOf: (spec: ServiceSpec) => string,
  serviceOf: (spec: ServiceSpec) => string,
): IssuedCertificate[] {
  return specs.flatMap((spec) =>
    (spec.certificates ?? []).map((cert): IssuedCertificate => {
      const namespace = namespaceOf(spec);
      const service = serviceOf(spec);
      const internal = [serviceDns(service, namespace), service];
      const pub = cert.dnsNames.length > 0 ? facts.public : ({ kind: 'private-ca' } as const);
      const base = {
        service: spec.name,
        certificate: cert.name,
        name: `${spec.name}-${cert.name}`,
        namespace,
        secretName: certificateSecret(spec, cert),
      };
      switch (pub.kind) {
        case 'private-ca':
          return { ...base, dnsNames: [...cert.dnsNames, ...internal], issuer: { kind: 'Issuer', name: PRIVATE_CA_ISSUER }, http01: false };
        case 'ClusterIssuer':
          return { ...base, dnsNames: [...cert.dnsNames], issuer: { kind: 'ClusterIssuer', name: pub.name }, http01: pub.http01 };
        case 'Issuer':
          if (namespace !== pub.namespace)
            throw new Error(`${spec.name}: certificate ${cert.name} in ${namespace} cannot use the Issuer ${pub.name} of ${pub.namespace}`);
          return { ...base, dnsNames: [...cert.dnsNames], issuer: { kind: 'Issuer', name: pub.name }, http01: false };
        case 'acme-route53':
          return {
            ...base,
            dnsNames: [...cert.dnsNames],
            issuer: { kind: 'ClusterIssuer', name: acmeRoute53Issuer(prefix) },
            http01: false,
          };
      }
    }),
  );
}

/** The namespaces whose certificates answer HTTP-01 challenges through the Gateway (other than the edge's own). */
export function challengeNamespaces(plan: readonly IssuedCertificate[], edgeNamespace: string): string[] {
  return [...new Set(plan.filter((c) => c.http01 && c.namespace !== edgeNamespace).map((c) => c.namespace))].sort();
}

/** The chart's values. */
export function certificateValues(
  plan: readonly IssuedCertificate[],
  facts: CertificateFacts,
  prefix: string,
  labels: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const acme = facts.public.kind === 'acme-route53' ? facts.public : undefined;
  return {
    labels: { ...labels },
    privateCa: {
      issuerName: PRIVATE_CA_ISSUER,
      namespaces: [...new Set(plan.filter((c) => c.issuer.name === PRIVATE_CA_ISSUER).map((c) => c.namespace))].sort(),
    },
    acmeRoute53: acme
      ? {
          create: true,
          name: acmeRoute53Issuer(prefix),
          email: acme.email ?? '',
          server: acme.server,
          region: acme.region,
          hostedZoneId: acme.hostedZoneId,
        }
      : { create: false, name: '', email: '', server: '', region: '', hostedZoneId: '' },
    certificates: plan.map((c) => ({
      name: c.name,
      namespace: c.namespace,
      secretName: c.secretName,
      dnsNames: [...c.dnsNames],
      issuer: { ...c.issuer },
    })),
  };
}

export interface CertificatesProps {
  readonly plan: readonly IssuedCertificate[];
  readonly facts: CertificateFacts;
  readonly prefix: string;
  /** The release's namespace (the edge's). */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly operators: Operators;
  /** cert-manager as the edge installed it (empty where the cluster runs its own). */
  readonly edgeCertManager: readonly ITerraformDependable[];
  readonly foundation: readonly ITerraformDependable[];
  /** Where the Gateway's proxies run, for the HTTP-01 solvers in other namespaces. */
  readonly proxies?: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
}

export class Certificates extends Construct {
  readonly release: HelmRelease;
  /** cert-manager's HTTP-01 solver pods in the namespaces other than the edge's. */
  readonly solvers: PodGroup[];

  constructor(scope: Construct, id: string, props: CertificatesProps) {
    super(scope, id);
    const certManager =
      props.facts.certManager === 'install' ? [props.operators.ensure(CERT_MANAGER_WITHOUT_GATEWAY)] : [...props.edgeCertManager];
    const chart = new TerraformAsset(this, 'platform-certificates', {
      path: path.resolve(import.meta.dirname, '..', '..', '..', 'charts', 'platform-certificates'),
      type: AssetType.DIRECTORY,
    });
    this.release = pinAddress(
      new HelmRelease(this, 'release', {
        name: 'platform-certificates',
        namespace: props.namespace,
        chart: chart.path,
        values: [JSON.stringify(certificateValues(props.plan, props.facts, props.prefix, props.labels), null, 2)],
        createNamespace: false,
        wait: true,
        timeout: 300,
        maxHistory: 10,
        atomic: false,
        dependsOn: [...props.foundation, ...certManager],
      }),
      'platform_certificates',
    );
    // Issuers and Certificates only: no pod of its own. cert-manager's HTTP-01 solver pods live only
    // while a challenge is open (minutes at issue and renewal), so the footprint leaves them out.
    readsAs(this.release, () => []);
    const proxies = props.proxies;
    this.solvers = proxies
      ? challengeNamespaces(props.plan, props.namespace).map((ns) => ({
          id: `acme-http01-solver/${ns}`,
          service: `acme-http01-solver-${ns}`,
          namespace: ns,
          labels: { 'acme.cert-manager.io/http01-solver': 'true' },
          ports: [{ port: ACME_SOLVER_PORT, purpose: 'client' as const, protocol: 'TCP' as const }],
          role: 'server' as const,
          ingressFrom: [
            {
              namespace: proxies.namespace,
              labels: proxies.labels,
              ports: [ACME_SOLVER_PORT],
              reason: "the Gateway's proxies reach cert-manager's HTTP-01 solver (the certificates of this namespace)",
            },
          ],
        }))
      : [];
  }
}
