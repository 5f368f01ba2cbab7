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
 * - a certificate without one (Kong's, seen by the platform's own clients only; the data services'
 *   internal TLS, `internalTls`) by the environment's ONE internal CA: a public CA cannot issue a
 *   `*.svc` name.
 *
 * The internal CA (`ClusterCa`) is the Docker target's: an ECDSA P-256 key and a ten-year self-signed
 * certificate from the tls provider (`tls_private_key.internal_ca`, `tls_self_signed_cert.internal_ca`,
 * output `ca_certificate`). Terraform writes it as Secret `platform-internal-ca` (`tls.crt`, `tls.key`)
 * into each namespace whose certificates it signs, where a cert-manager CA Issuer (`platform-private-ca`)
 * signs with it. Why not a ClusterIssuer over a cert-manager self-signed CA: a ClusterIssuer reads its
 * CA from cert-manager's "cluster resource namespace", which the platform does not know where the
 * cluster runs its own cert-manager; and the CA's certificate must reach clients in other namespaces
 * (the applications', through consumers.ts), which Terraform can write only when it knows the PEM.
 * An internal certificate names the Service (`<svc>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`),
 * the names the realization gives its members (a StatefulSet's `*.<svc>-headless...`, and each member's
 * `<svc>-<i>.<svc>-headless...` for a certificate the members present to each other), CloudNativePG's
 * `-r`/`-ro` Services), `localhost` and 127.0.0.1 (the pod's own sidecars).
 */
import * as path from 'node:path';
import { AssetType, Construct, TerraformAsset, type ITerraformDependable } from '../../providers/cdktf';
import { HelmRelease, SecretV1 } from '../../providers/kubernetes';
import { PrivateKey, SelfSignedCert } from '../../providers/tls';
import type { CertificateSpec, ServiceSpec } from '../../spec/types';
import { serviceDns } from '../../targets/kubernetes/naming';
import { pinAddress } from '../terraform';
import type { CertificateFacts, PodGroup } from './context';
import { ACME_SOLVER_PORT, CERT_MANAGER } from './edge';
import type { OperatorChart, Operators } from './operators';
import { readsAs } from './footprint';

/** The CA Issuer of the internal CA (one per namespace whose certificates it signs). */
export const PRIVATE_CA_ISSUER = 'platform-private-ca';

/** The Secret with the internal CA's certificate and key, beside each of those Issuers (written by Terraform). */
export const INTERNAL_CA_SECRET = 'platform-internal-ca';

/** How long a served certificate is valid (cert-manager renews 30 days before: `renewBefore: 720h` in the chart). */
export const CERTIFICATE_DURATION = '2160h';
/** An internal TLS certificate (`CertificateSpec.internal`): a year, as on Docker. */
export const INTERNAL_CERTIFICATE_DURATION = '8760h';

/** How long the internal CA is valid (the Docker target's: ten years). */
export const INTERNAL_CA_VALIDITY_HOURS = 87600;

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
  /**
   * How long it is valid: 90 days for the mail server's and Kong's, a year for an internal one, as on
   * Docker (each server takes a renewed one by itself; docs/operations.md, "Internal TLS"). Renewed 30
   * days before it expires either way.
   */
  readonly duration: string;
  /** Labels its Secret carries beyond the chart's (an operator that reloads on a labelled Secret's change). */
  readonly secretLabels: Readonly<Record<string, string>>;
  /** IP addresses it names (127.0.0.1 for an internal certificate: the pod's own sidecars). */
  readonly ipAddresses: readonly string[];
  /**
   * cert-manager `usages`: a server certificate, and a client certificate too where the members
   * present it to each other (`CertificateSpec.peers`: NATS routes and RabbitMQ's distribution require one).
   */
  readonly usages: readonly string[];
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
  /** More names the realization's Services give the server (short names, in its namespace). @default none */
  serverNamesOf: (spec: ServiceSpec) => readonly string[] = () => [],
  /** Labels the realization wants on the Secret of an internal certificate. @default none */
  secretLabelsOf: (spec: ServiceSpec) => Readonly<Record<string, string>> = () => ({}),
): IssuedCertificate[] {
  return specs.flatMap((spec) =>
    (spec.certificates ?? []).map((cert): IssuedCertificate => {
      const namespace = namespaceOf(spec);
      const service = serviceOf(spec);
      const internal = [serviceDns(service, namespace), service];
      // internalTls: every name the platform's clients, peers and sidecars reach the server by.
      const everyName = [service, ...serverNamesOf(spec)].flatMap((n) => [
        serviceDns(n, namespace),
        `${serviceDns(n, namespace)}.cluster.local`,
        ...(n.startsWith('*.') ? [] : [n]),
      ]);
      const pub = cert.dnsNames.length > 0 && !cert.internal ? facts.public : ({ kind: 'private-ca' } as const);
      const base = {
        service: spec.name,
        certificate: cert.name,
        name: `${spec.name}-${cert.name}`,
        namespace,
        secretName: certificateSecret(spec, cert),
        ipAddresses: cert.internal ? ['127.0.0.1'] : [],
        usages: ['digital signature', 'key encipherment', 'server auth', ...(cert.peers ? ['client auth'] : [])],
        secretLabels: cert.internal ? { ...secretLabelsOf(spec) } : {},
        duration: cert.internal ? INTERNAL_CERTIFICATE_DURATION : CERTIFICATE_DURATION,
      };
      switch (pub.kind) {
        case 'private-ca':
          return {
            ...base,
            dnsNames: cert.internal ? [...new Set([...cert.dnsNames, ...everyName, 'localhost'])] : [...cert.dnsNames, ...internal],
            issuer: { kind: 'Issuer', name: PRIVATE_CA_ISSUER },
            http01: false,
          };
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
      secretName: INTERNAL_CA_SECRET,
      namespaces: caNamespaces(plan),
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
      ipAddresses: [...c.ipAddresses],
      usages: [...c.usages],
      secretLabels: { ...c.secretLabels },
      duration: c.duration,
      issuer: { ...c.issuer },
    })),
  };
}

/** The namespaces whose certificates the internal CA signs. */
export function caNamespaces(plan: readonly IssuedCertificate[]): string[] {
  return [...new Set(plan.filter((c) => c.issuer.name === PRIVATE_CA_ISSUER).map((c) => c.namespace))].sort();
}

/**
 * The environment's internal CA on a cluster (see the file's comment): the key and certificate from
 * the tls provider, the same resources and addresses as on Docker, and Secret `platform-internal-ca`
 * in each namespace whose CA Issuer signs with it.
 */
export class ClusterCa extends Construct {
  readonly key: PrivateKey;
  readonly cert: SelfSignedCert;
  /** The Secrets the Issuers read, which the chart waits for. */
  readonly secrets: SecretV1[];

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly name: string;
      readonly namespaces: readonly string[];
      readonly labels: Readonly<Record<string, string>>;
      readonly foundation: readonly ITerraformDependable[];
    },
  ) {
    super(scope, id);
    this.key = pinAddress(new PrivateKey(this, 'ca-key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' }), 'internal_ca');
    this.cert = pinAddress(
      new SelfSignedCert(this, 'ca', {
        privateKeyPem: this.key.privateKeyPem,
        isCaCertificate: true,
        // A CA needs a subject (cert-manager docs, "SelfSigned": an empty issuer DN is invalid).
        subject: [{ commonName: `${props.name} internal CA`, organization: props.name }],
        validityPeriodHours: INTERNAL_CA_VALIDITY_HOURS,
        allowedUses: ['cert_signing', 'crl_signing', 'digital_signature'],
      }),
      'internal_ca',
    );
    // cert-manager's CA issuer reads `tls.crt` and `tls.key` from a Secret in the Issuer's namespace.
    this.secrets = props.namespaces.map((ns) =>
      pinAddress(
        new SecretV1(this, `secret-${ns}`, {
          metadata: { name: INTERNAL_CA_SECRET, namespace: ns, labels: { ...props.labels, 'app.kubernetes.io/component': 'internal-ca' } },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': this.cert.certPem, 'tls.key': this.key.privateKeyPem },
          dependsOn: [...props.foundation],
        }),
        'internal_ca',
        ns,
      ),
    );
  }
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
  /** The internal CA, when a certificate of the plan is signed by it. */
  readonly ca?: ClusterCa;
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
        dependsOn: [...props.foundation, ...certManager, ...(props.ca?.secrets ?? [])],
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
