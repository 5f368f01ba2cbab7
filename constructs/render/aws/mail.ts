/**
 * The mail server's outgoing path on AWS (`target.mail.relay: 'ses'`): Amazon SES as its relay on
 * port 587, because EC2 throttles port 25 by default (AWS lifts it on request only).
 *
 * - an SES domain identity for the mail domain that signs with the mail server's own DKIM key
 *   (BYODKIM: the key's PKCS#8 body, the same selector, so the one DKIM record serves both), and a
 *   custom MAIL FROM domain (`bounce.<domain>`: its MX and SPF), so SPF aligns for DMARC too;
 * - an IAM user that may only send raw mail as that identity, and its access key: the key id is the
 *   SMTP user name, and `ses_smtp_password_v4` (the secret converted with AWS's SigV4 algorithm, for
 *   the provider's region) the SMTP password, which reaches the server as a file
 *   (`RELAY_PASSWORD__FILE`); both sit in the Terraform state, like every generated secret.
 *
 * SES starts in its sandbox: it sends to verified addresses only, 200 a day, until production access
 * is requested (docs/operations.md, "Mail on AWS").
 */
import { Construct } from '../../providers/cdktf';
import { IamAccessKey, IamUser, IamUserPolicy, Sesv2EmailIdentity, Sesv2EmailIdentityMailFromAttributes } from '../../providers/aws';
import { type MailFacet, mailDnsRecords } from '../../services/mail';
import { secretRef } from '../../spec/template';
import type { DnsRecord, ServiceSpec } from '../../spec/types';
import type { MailRelay } from '../kubernetes/context';
import type { GeneratedSecrets } from '../secrets';
import { pinAddress } from '../terraform';
import { type AwsContext, policy } from './context';

/** The SMTP endpoint of SES in a region, as Postfix's relayhost (no MX lookup). */
export const sesRelayHost = (region: string) => `[email-smtp.${region}.amazonaws.com]:587`;
/** The MAIL FROM subdomain bounces go to. */
export const MAIL_FROM_LABEL = 'bounce';

export class SesRelay extends Construct {
  readonly relay: MailRelay;
  private readonly facet: MailFacet;

  constructor(
    scope: Construct,
    id: string,
    private readonly ctx: AwsContext,
    private readonly spec: ServiceSpec<string, MailFacet>,
  ) {
    super(scope, id);
    this.facet = spec.facet;
    const name = ctx.name('ses-smtp');
    const user = pinAddress(new IamUser(this, 'user', { name, path: '/platform/', tags: ctx.tags(name) }), 'ses_smtp');
    pinAddress(
      new IamUserPolicy(this, 'policy', {
        name: 'send-as-mail-domain',
        user: user.name,
        policy: policy({
          Sid: 'SendAsTheMailDomain',
          Effect: 'Allow',
          Action: 'ses:SendRawEmail',
          Resource: `arn:aws:ses:${ctx.region}:${ctx.accountId}:identity/${this.facet.domain}`,
        }),
      }),
      'ses_smtp',
    );
    const key = pinAddress(new IamAccessKey(this, 'key', { user: user.name }), 'ses_smtp');
    this.relay = { host: sesRelayHost(ctx.region), username: key.id, password: key.sesSmtpPasswordV4 };
  }

  /** The SES identity, signing with the server's DKIM key (generated in the cluster's secrets). */
  identity(secrets: GeneratedSecrets): void {
    const f = this.facet;
    const identity = pinAddress(
      new Sesv2EmailIdentity(this, 'identity', {
        emailIdentity: f.domain,
        dkimSigningAttributes: {
          domainSigningSelector: f.dkim.selector,
          domainSigningPrivateKey: secrets.value({ ...secretRef(this.spec.name, f.dkim.secret), form: 'private-key-base64' }),
        },
        tags: this.ctx.tags(f.domain),
      }),
      'ses',
    );
    pinAddress(
      new Sesv2EmailIdentityMailFromAttributes(this, 'mail-from', {
        emailIdentity: identity.emailIdentity,
        mailFromDomain: `${MAIL_FROM_LABEL}.${f.domain}`,
        behaviorOnMxFailure: 'USE_DEFAULT_VALUE',
      }),
      'ses',
    );
  }

  /** The mail domain's records with SES as a sender, and the MAIL FROM domain's. */
  records(): DnsRecord[] {
    const f = this.facet;
    const from = `${MAIL_FROM_LABEL}.${f.domain}`;
    return [
      ...mailDnsRecords(f, this.spec.name, { spfIncludes: ['amazonses.com'] }),
      {
        name: from,
        type: 'MX',
        values: [`10 feedback-smtp.${this.ctx.region}.amazonses.com`],
        purpose: 'SES: bounces of the relayed mail',
      },
      { name: from, type: 'TXT', values: ['v=spf1 include:amazonses.com -all'], purpose: 'SES: SPF of the MAIL FROM domain' },
    ];
  }
}
