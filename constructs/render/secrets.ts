/**
 * Generated secrets: one random resource per secret a spec declares (`random_password` for
 * alphanumeric secrets, `random_bytes` for hex ones). Nothing is ever a literal; targets read the
 * generated values from here as Terraform references (the Docker target writes them into secret
 * files, the Kubernetes target into Secrets). A secret the deploy provides (`SecretSpec.provided`:
 * an alert receiver's token) is a sensitive Terraform variable instead, read the same way.
 */
import { Construct, TerraformVariable } from '../providers/cdktf';
import { Bytes, Password } from '../providers/random';
import type { SecretRef, SecretSpec, ServiceSpec } from '../spec/types';
import { pinAddress } from './terraform';

interface Generated {
  readonly spec: SecretSpec;
  readonly password?: Password;
  readonly bytes?: Bytes;
  readonly variable?: TerraformVariable;
}

export class GeneratedSecrets extends Construct {
  private readonly generated = new Map<string, Generated>();

  constructor(scope: Construct, id: string, specs: readonly ServiceSpec[]) {
    super(scope, id);
    for (const spec of specs) {
      for (const secret of spec.secrets) {
        const k = key(spec.name, secret.name);
        if (secret.provided) {
          const variable = new TerraformVariable(this, secret.provided.variable, {
            type: 'string',
            sensitive: true,
            nullable: false,
            description: `${spec.name}: ${secret.description} (TF_VAR_${secret.provided.variable})`,
          });
          variable.overrideLogicalId(secret.provided.variable);
          this.generated.set(k, { spec: secret, variable });
        } else if ((secret.alphabet ?? 'alphanumeric') === 'hex') {
          if (secret.length % 2 !== 0) throw new Error(`${k}: a hex secret has an even length`);
          const bytes = pinAddress(new Bytes(this, `${spec.name}-${secret.name}`, { length: secret.length / 2 }), spec.name, secret.name);
          this.generated.set(k, { spec: secret, bytes });
        } else {
          const password = pinAddress(
            new Password(this, `${spec.name}-${secret.name}`, {
              length: secret.length,
              // Alphanumeric only: safe unquoted in URLs, shells, YAML and connection strings.
              special: false,
              minLower: 2,
              minUpper: 2,
              minNumeric: 2,
            }),
            spec.name,
            secret.name,
          );
          this.generated.set(k, { spec: secret, password });
        }
      }
    }
  }

  /** The generated value (a Terraform reference) of a declared secret, in the form the reference asks for. */
  value(ref: SecretRef): string {
    const g = this.generated.get(key(ref.service, ref.name));
    if (!g) throw new Error(`secret ${ref.service}/${ref.name} is not declared by an enabled service`);
    if (g.variable) {
      if ((ref.form ?? 'value') !== 'value') throw new Error(`secret ${ref.service}/${ref.name}: a provided secret has no bcrypt form`);
      return g.variable.stringValue;
    }
    if ((ref.form ?? 'value') === 'bcrypt') {
      if (!g.password) throw new Error(`secret ${ref.service}/${ref.name}: only passwords have a bcrypt form`);
      if (g.spec.prefix) throw new Error(`secret ${ref.service}/${ref.name}: a prefixed secret has no bcrypt form`);
      return g.password.bcryptHash;
    }
    return `${g.spec.prefix ?? ''}${g.password ? g.password.result : g.bytes!.hex}`;
  }

  /** Every generated value by `service/secret`, for sensitive outputs (provided ones are the deployer's already). */
  all(): Record<string, string> {
    return Object.fromEntries([...this.generated].filter(([, g]) => !g.variable).map(([k]) => [k, this.value(parseKey(k))]));
  }
}

const key = (service: string, name: string) => `${service}/${name}`;
const parseKey = (k: string): SecretRef => {
  const [service, name] = k.split('/') as [string, string];
  return { kind: 'secret', service, name };
};
