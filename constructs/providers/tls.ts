/** TLS provider classes (hashicorp/tls 4.1.0; per-resource submodules only): DKIM keys and the internal CA. */
export { TlsProvider } from '@cdktf/provider-tls/lib/provider';
export { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
export { SelfSignedCert } from '@cdktf/provider-tls/lib/self-signed-cert';
export { CertRequest } from '@cdktf/provider-tls/lib/cert-request';
export { LocallySignedCert } from '@cdktf/provider-tls/lib/locally-signed-cert';
