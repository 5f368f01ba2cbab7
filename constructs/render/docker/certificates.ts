/**
 * The certificates of the services that serve TLS themselves (`ServiceSpec.certificates`) on one
 * Docker host, by the environment's `target.tls`:
 *
 * - `internal-ca`: a private CA generated with the tls provider (ECDSA P-256, ten years) signs one
 *   certificate per service (RSA 2048, the widest client support for SMTP and IMAP), for the names
 *   the service declares, its network alias, `localhost` and 127.0.0.1, valid a year and replaced by
 *   the first apply in its last 30 days (`early_renewal_hours`: the provider plans a replacement).
 *   The CA is an output (`ca_certificate`) for the clients on the host, and the file containers get
 *   where they verify a service (`ContainerSpec.trusts`);
 * - `files`: one certificate from files on the deploying machine, read by Terraform at each plan
 *   (`file(pathexpand(...))`); containers that verify a service use the image's own trust store.
 *
 * There is one internal CA per environment: the data services' internal TLS (`internalTls`; their
 * certificates are `internal`, named only on the service network) is issued by the same CA, under
 * `files` as well (the CA then exists for them alone).
 */
import { Construct } from '../../providers/cdktf';
import { CertRequest, LocallySignedCert, PrivateKey, SelfSignedCert } from '../../providers/tls';
import type { CertificateSpec, ServiceSpec } from '../../spec/types';
import { pinAddress } from '../terraform';
import { aliasOf } from '../../targets/docker/addressing';

type TlsSource = { readonly source: 'internal-ca' } | { readonly source: 'files'; readonly certificate: string; readonly key: string };

/** Terraform expressions of a certificate's parts (the key is sensitive). */
export interface IssuedCertificate {
  readonly certificate: string;
  readonly key: string;
}

/** How long the internal CA and the certificates it signs are valid, and when a certificate is renewed. */
export const INTERNAL_CA_VALIDITY_HOURS = 87600;
export const CERTIFICATE_VALIDITY_HOURS = 8760;
export const EARLY_RENEWAL_HOURS = 720;

export class DockerCertificates extends Construct {
  private ca?: { key: PrivateKey; cert: SelfSignedCert };
  private readonly issued = new Map<string, IssuedCertificate>();

  constructor(
    scope: Construct,
    id: string,
    private readonly tls: TlsSource,
    private readonly name: string,
  ) {
    super(scope, id);
  }

  /**
   * The internal CA's certificate (PEM), when one of `certs` is issued by it: every certificate with
   * `internal-ca`, the internal ones (`CertificateSpec.internal`, the data services' internal TLS)
   * with `files` too. Undefined when all come from files (clients use their own trust store).
   */
  caOf(...certs: readonly CertificateSpec[]): string | undefined {
    return certs.some((c) => this.fromCa(c)) ? this.internalCa().cert.certPem : undefined;
  }

  private fromCa(cert: CertificateSpec): boolean {
    return this.tls.source === 'internal-ca' || cert.internal === true;
  }

  private internalCa(): { key: PrivateKey; cert: SelfSignedCert } {
    if (!this.ca) {
      const key = pinAddress(new PrivateKey(this, 'ca-key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' }), 'internal_ca');
      const cert = pinAddress(
        new SelfSignedCert(this, 'ca', {
          privateKeyPem: key.privateKeyPem,
          isCaCertificate: true,
          subject: [{ commonName: `${this.name} internal CA`, organization: this.name }],
          validityPeriodHours: INTERNAL_CA_VALIDITY_HOURS,
          allowedUses: ['cert_signing', 'crl_signing', 'digital_signature'],
        }),
        'internal_ca',
      );
      this.ca = { key, cert };
    }
    return this.ca;
  }

  /** The certificate of one of a spec's `certificates`. */
  certificate(spec: ServiceSpec, cert: CertificateSpec): IssuedCertificate {
    const k = `${spec.name}/${cert.name}`;
    let issued = this.issued.get(k);
    if (issued) return issued;
    if (this.tls.source === 'files' && !this.fromCa(cert)) {
      issued = {
        certificate: `\${file(pathexpand(${JSON.stringify(this.tls.certificate)}))}`,
        key: `\${sensitive(file(pathexpand(${JSON.stringify(this.tls.key)})))}`,
      };
    } else {
      const ca = this.internalCa();
      const names = [...new Set([...cert.dnsNames, aliasOf(spec.name, cert.container), 'localhost'])];
      const key = pinAddress(new PrivateKey(this, `${k}-key`, { algorithm: 'RSA', rsaBits: 2048 }), spec.name, cert.name);
      const request = pinAddress(
        new CertRequest(this, `${k}-request`, {
          privateKeyPem: key.privateKeyPem,
          subject: [{ commonName: names[0]!, organization: this.name }],
          dnsNames: names,
          ipAddresses: ['127.0.0.1'],
        }),
        spec.name,
        cert.name,
      );
      const signed = pinAddress(
        new LocallySignedCert(this, `${k}-cert`, {
          certRequestPem: request.certRequestPem,
          caPrivateKeyPem: ca.key.privateKeyPem,
          caCertPem: ca.cert.certPem,
          validityPeriodHours: CERTIFICATE_VALIDITY_HOURS,
          earlyRenewalHours: EARLY_RENEWAL_HOURS,
          // A certificate its members also present to each other (CertificateSpec.peers) is a client certificate too.
          allowedUses: ['digital_signature', 'key_encipherment', 'server_auth', ...(cert.peers ? ['client_auth'] : [])],
        }),
        spec.name,
        cert.name,
      );
      // The chain, leaf first: the internal CA is the root, so the leaf is the whole chain.
      issued = { certificate: signed.certPem, key: key.privateKeyPemPkcs8 };
    }
    this.issued.set(k, issued);
    return issued;
  }
}
