/**
 * Customer-managed KMS keys, one per purpose, each rotating yearly: `eks` envelope-encrypts
 * Kubernetes Secrets in etcd; `data` encrypts the managed data services' storage (RDS, ElastiCache,
 * OpenSearch, S3) and the Secrets Manager secrets that hold their credentials. The key policy is
 * the account default (IAM policies decide who may use a key).
 */
import { Construct } from '../../providers/cdktf';
import { KmsAlias, KmsKey } from '../../providers/aws';
import { pinAddress } from '../terraform';
import type { AwsContext } from './context';

export class Keys extends Construct {
  readonly eks: KmsKey;
  readonly data: KmsKey;

  constructor(scope: Construct, id: string, ctx: AwsContext) {
    super(scope, id);
    const key = (purpose: string, description: string) => {
      const k = pinAddress(
        new KmsKey(this, purpose, {
          description,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          tags: ctx.tags(ctx.name(purpose)),
        }),
        purpose,
      );
      pinAddress(new KmsAlias(this, `${purpose}-alias`, { name: `alias/${ctx.name(purpose)}`, targetKeyId: k.keyId }), purpose);
      return k;
    };
    this.eks = key('eks', `${ctx.prefix}: envelope encryption of Kubernetes Secrets`);
    this.data = key('data', `${ctx.prefix}: managed data services and their credentials`);
  }
}
