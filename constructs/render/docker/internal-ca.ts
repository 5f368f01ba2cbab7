/**
 * The Docker target's internal CA (internalTls): a CA key and self-signed certificate, and for each
 * service that serves TLS (`ServiceSpec.tls`) a key and a certificate the CA signs, naming every
 * address its containers have on the service network, `localhost` and 127.0.0.1. All of it is made
 * by the hashicorp/tls provider (4.1.0), so the keys live in the Terraform state (as the generated
 * passwords do) and nothing needs a running service.
 *
 * Renewal: a certificate within `RENEW_HOURS` of its end is re-issued by the next apply (the
 * provider's `early_renewal_hours`), which replaces the containers that hold it. Rotating the CA
 * (`terraform apply -replace=tls_private_key.internal-ca`) re-issues everything: docs/operations.md,
 * "Internal TLS".
 */
import { Construct } from '../../providers/cdktf';
import { CertRequest, LocallySignedCert, PrivateKey, SelfSignedCert } from '../../providers/tls';
import type { ServiceSpec } from '../../spec/types';
import { aliasOf } from '../../targets/docker/addressing';
import { pinAddress } from '../terraform';

/** The CA is valid ten years; the servers' certificates one, re-issued in their last 30 days. */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
export const SERVER_VALIDITY_HOURS = 365 * 24;
export const RENEW_HOURS = 30 * 24;

export interface IssuedCertificate {
  /** The server's certificate followed by the CA's (the chain a client is shown). */
  readonly chainPem: string;
  readonly keyPem: string;
}

export class InternalCa extends Construct {
  readonly caPem: string;
  private readonly caKeyPem: string;
  private readonly issued = new Map<string, IssuedCertificate>();

  constructor(scope: Construct, id: string, props: { project: string; environment: string }) {
    super(scope, id);
    const key = pinAddress(new PrivateKey(this, 'key', { algorithm: 'ECDSA', ecdsaCurve: 'P256' }), 'internal-ca');
    const cert = pinAddress(
      new SelfSignedCert(this, 'cert', {
        privateKeyPem: key.privateKeyPem,
        // An issuer needs a name: an empty subject DN makes an invalid chain.
        subject: [{ commonName: `${props.project} ${props.environment} internal CA`, organization: props.project }],
        isCaCertificate: true,
        allowedUses: ['cert_signing', 'crl_signing', 'digital_signature'],
        validityPeriodHours: CA_VALIDITY_HOURS,
        earlyRenewalHours: 365 * 24,
      }),
      'internal-ca',
    );
    this.caPem = cert.certPem;
    this.caKeyPem = key.privateKeyPem;
  }

  /** The certificate of a service that serves TLS (issued once per service). */
  certificateFor(spec: ServiceSpec): IssuedCertificate {
    const existing = this.issued.get(spec.name);
    if (existing) return existing;
    const key = pinAddress(new PrivateKey(this, `${spec.name}-key`, { algorithm: 'ECDSA', ecdsaCurve: 'P256' }), spec.name, 'tls');
    const request = pinAddress(
      new CertRequest(this, `${spec.name}-request`, {
        privateKeyPem: key.privateKeyPem,
        subject: [{ commonName: spec.name }],
        dnsNames: [...new Set([...spec.containers.map((c) => aliasOf(spec.name, c.name)), 'localhost'])],
        ipAddresses: ['127.0.0.1'],
      }),
      spec.name,
      'tls',
    );
    const cert = pinAddress(
      new LocallySignedCert(this, `${spec.name}-cert`, {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: this.caKeyPem,
        caCertPem: this.caPem,
        // Server and client: a service's members and sidecars may present it to each other.
        allowedUses: ['digital_signature', 'key_encipherment', 'server_auth', 'client_auth'],
        validityPeriodHours: SERVER_VALIDITY_HOURS,
        earlyRenewalHours: RENEW_HOURS,
      }),
      spec.name,
      'tls',
    );
    const issued = { chainPem: `${cert.certPem}${this.caPem}`, keyPem: key.privateKeyPem };
    this.issued.set(spec.name, issued);
    return issued;
  }
}
