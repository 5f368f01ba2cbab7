/**
 * Generated secrets: one random resource per secret a spec declares (`random_password` for
 * alphanumeric secrets, `random_bytes` for hex ones). Nothing is ever a literal; targets read the
 * generated values from here as Terraform references (the Docker target writes them into secret
 * files, the Kubernetes target into Secrets). A secret the deploy provides (`SecretSpec.provided`:
 * an alert receiver's token) is a sensitive Terraform variable instead, read the same way.
 */
import { Construct, TerraformVariable } from '../providers/cdktf';
import { Bytes, Password, StringResource } from '../providers/random';
import { PrivateKey } from '../providers/tls';
import type { SecretRef, SecretSpec, ServiceSpec } from '../spec/types';
import { addressOf, pinAddress } from './terraform';

interface Generated {
  readonly spec: SecretSpec;
  readonly password?: Password;
  readonly bytes?: Bytes;
  readonly key?: PrivateKey;
  readonly variable?: TerraformVariable;
}

export class GeneratedSecrets extends Construct {
  private readonly generated = new Map<string, Generated>();
  private readonly salts = new Map<string, StringResource>();

  constructor(scope: Construct, id: string, specs: readonly ServiceSpec[]) {
    super(scope, id);
    for (const spec of specs) {
      for (const secret of spec.secrets) {
        const k = key(spec.name, secret.name);
        if (secret.kind === 'rsa-private-key') {
          // Generated once and kept in the state, like a password (the tls provider: no other source).
          const privateKey = pinAddress(
            new PrivateKey(this, `${spec.name}-${secret.name}`, { algorithm: 'RSA', rsaBits: secret.length }),
            spec.name,
            secret.name,
          );
          this.generated.set(k, { spec: secret, key: privateKey });
        } else if (secret.provided) {
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
    const form = ref.form ?? 'value';
    if (g.key) {
      // The key's PEM forms without their armour and line breaks: the base64 of the DER.
      const bare = (attribute: string, label: string) =>
        `\${replace(${addressOf(g.key!)}.${attribute}, "/-----(BEGIN|END) ${label}-----|\\\\s/", "")}`;
      switch (form) {
        case 'value':
          return g.key.privateKeyPemPkcs8;
        case 'public-key-base64':
          return bare('public_key_pem', 'PUBLIC KEY');
        case 'private-key-base64':
          return bare('private_key_pem_pkcs8', 'PRIVATE KEY');
        default:
          throw new Error(`secret ${ref.service}/${ref.name}: a private key has no ${form} form`);
      }
    }
    if (form === 'public-key-base64' || form === 'private-key-base64')
      throw new Error(`secret ${ref.service}/${ref.name}: only private keys have a ${form} form`);
    if (g.variable) {
      if (form !== 'value') throw new Error(`secret ${ref.service}/${ref.name}: a provided secret has no ${form} form`);
      return g.variable.stringValue;
    }
    if (form !== 'value') {
      if (!g.password) throw new Error(`secret ${ref.service}/${ref.name}: only passwords have a ${form} form`);
      if (g.spec.prefix) throw new Error(`secret ${ref.service}/${ref.name}: a prefixed secret has no ${form} form`);
    }
    switch (form) {
      case 'bcrypt':
        return g.password!.bcryptHash;
      case 'sha256':
        // Lower-case hex, as Redis's ACL compares `#<hash>` passwords (ACLHashPassword).
        return `\${sha256(${addressOf(g.password!)}.result)}`;
      case 'rabbitmq-sha256':
        return rabbitmqHash(this.salt(ref), `${addressOf(g.password!)}.result`);
      case 'value':
        return `${g.spec.prefix ?? ''}${g.password ? g.password.result : g.bytes!.hex}`;
    }
    throw new Error(`secret ${ref.service}/${ref.name}: no ${form} form`);
  }

  /**
   * The salt of a password's salted hash: four letters and digits, generated once per secret (kept
   * when the password is rotated: a salt only has to differ between passwords, and the generated
   * passwords are unique).
   */
  private salt(ref: SecretRef): StringResource {
    const k = key(ref.service, ref.name);
    let salt = this.salts.get(k);
    if (!salt) {
      salt = pinAddress(
        new StringResource(this, `${ref.service}-${ref.name}-salt`, { length: 4, special: false }),
        ref.service,
        `${ref.name}-salt`,
      );
      this.salts.set(k, salt);
    }
    return salt;
  }

  /**
   * Every generated value by `service/secret`, for sensitive outputs (keys stay with their servers;
   * provided ones are the deployer's already).
   */
  all(): Record<string, string> {
    return Object.fromEntries([...this.generated].filter(([, g]) => !g.key && !g.variable).map(([k]) => [k, this.value(parseKey(k))]));
  }

  /** The generated passwords of people (`audience: 'person'`: mailboxes), by `service/secret`. */
  forPeople(): Record<string, string> {
    return Object.fromEntries(
      [...this.generated].filter(([, g]) => g.spec.audience === 'person').map(([k]) => [k, this.value(parseKey(k))]),
    );
  }

  /** Whether the stack generates a key with the tls provider (it then needs the provider). */
  get usesTls(): boolean {
    return [...this.generated.values()].some((g) => g.key);
  }
}

const key = (service: string, name: string) => `${service}/${name}`;
const parseKey = (k: string): SecretRef => {
  const [service, name] = k.split('/') as [string, string];
  return { kind: 'secret', service, name };
};

/**
 * RabbitMQ's `rabbit_password_hashing_sha256` hash of a password as a Terraform expression:
 * base64(salt ++ SHA-256(salt ++ password)), the salt being 4 ASCII bytes (rabbit_password.erl,
 * `<<Salt:4/binary, Hash/binary>>`). Terraform has no byte strings: the binary digest is decoded as
 * ISO-8859-1, which maps every byte to one character and back, so the concatenation is byte-exact.
 * `password` is a Terraform reference without `${}` (`random_password.x.result`).
 */
export function rabbitmqHash(salt: StringResource, password: string): string {
  const s = `${addressOf(salt)}.result`;
  const digest = `textdecodebase64(base64sha256(format("%s%s", ${s}, ${password})), "ISO-8859-1")`;
  return `\${textencodebase64(format("%s%s", ${s}, ${digest}), "ISO-8859-1")}`;
}
