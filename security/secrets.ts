/**
 * Generated secrets: one `random_password` per secret a spec declares. Nothing is ever a literal;
 * targets read the generated values from here (the Docker target passes them to containers, the
 * Kubernetes target will store them in Secrets).
 */
import { Construct } from '../constructs/providers/cdktf';
import { Password } from '../constructs/providers/random';
import type { SecretRef, ServiceSpec } from '../constructs/spec/types';
import { pinAddress } from '../constructs/targets/terraform';

export class GeneratedSecrets extends Construct {
  private readonly passwords = new Map<string, Password>();

  constructor(scope: Construct, id: string, specs: readonly ServiceSpec[]) {
    super(scope, id);
    for (const spec of specs) {
      for (const secret of spec.secrets) {
        const password = new Password(this, `${spec.name}-${secret.name}`, {
          length: secret.length,
          // Alphanumeric only: safe unquoted in URLs, shells, YAML and connection strings.
          special: false,
          minLower: 2,
          minUpper: 2,
          minNumeric: 2,
        });
        pinAddress(password, spec.name, secret.name);
        this.passwords.set(key(spec.name, secret.name), password);
      }
    }
  }

  /** The generated value (a Terraform reference) of a declared secret. */
  value(ref: SecretRef): string {
    const password = this.passwords.get(key(ref.service, ref.name));
    if (!password) throw new Error(`secret ${ref.service}/${ref.name} is not declared by an enabled service`);
    return password.result;
  }

  /** Every generated value by `service/secret`, for sensitive outputs. */
  all(): Record<string, string> {
    return Object.fromEntries([...this.passwords].map(([k, p]) => [k, p.result]));
  }
}

const key = (service: string, name: string) => `${service}/${name}`;
