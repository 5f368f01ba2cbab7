/**
 * EKS Kubernetes versions this project knows, with their support calendar and the managed add-on
 * versions pinned for each. Pure data (no cdktf): the checks validate `target.eks.version` against
 * it, and `awsWarnings` (checks.ts) reads it for the synth summary.
 *
 * Calendar: EKS gives a minor version 14 months of standard support from its EKS release, then 12
 * months of extended support (billed per cluster-hour), then upgrades the control plane itself.
 * Sources: docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (awsdocs
 * `kubernetes-versions.adoc`) and endoflife.date/amazon-eks for the ends of standard support of
 * 1.33-1.35 and extended support of 1.33-1.35; 1.36's EKS release (2 Jun 2026) and end of standard
 * support from a secondary source. Dates not in those sources follow the 14 + 12 months rule
 * (1.33's release, 1.36's end of extended support). Update this table when AWS publishes a version.
 */
import { type AddonName, addonNames } from '../../../environments/parse/aws';

export { type AddonName, addonNames };

export interface EksVersion {
  /** When the version reached EKS (ISO date). */
  readonly released: string;
  /** Last day of standard support (ISO date). */
  readonly endOfStandardSupport: string;
  /** Last day of extended support (ISO date). */
  readonly endOfExtendedSupport: string;
  /**
   * Managed add-on versions pinned for this Kubernetes version (`aws eks describe-addon-versions
   * --kubernetes-version <v> --addon-name <name>` lists what exists). `undefined` = none pinned yet;
   * an environment on this version must then pin them itself (`target.eks.addonVersions`).
   */
  readonly addons?: AddonVersions;
}

export type AddonVersions = { readonly [K in AddonName]: string };

export const eksVersions: Readonly<Record<string, EksVersion>> = {
  '1.33': { released: '2025-05-29', endOfStandardSupport: '2026-07-29', endOfExtendedSupport: '2027-07-29' },
  '1.34': { released: '2025-10-02', endOfStandardSupport: '2026-12-02', endOfExtendedSupport: '2027-12-02' },
  '1.35': {
    released: '2026-01-28',
    endOfStandardSupport: '2027-03-27',
    endOfExtendedSupport: '2028-03-27',
    // Current builds for 1.35 (December 2026): vpc-cni, coredns and kube-proxy as the default/latest
    // for 1.35 in a table verified against the AWS add-on docs on 2026-08-20, aws-ebs-csi-driver
    // v1.66.0-eksbuild.1 and eks-pod-identity-agent v1.3.10-eksbuild.3 as pinned by public 1.35
    // configurations (research notes, issue 14; secondary sources). Confirm with
    // `aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name <name>`.
    // vpc-cni enforces NetworkPolicy from 1.14 on.
    addons: {
      'vpc-cni': 'v1.22.4-eksbuild.3',
      coredns: 'v1.14.3-eksbuild.3',
      'kube-proxy': 'v1.35.3-eksbuild.13',
      'aws-ebs-csi-driver': 'v1.66.0-eksbuild.1',
      'eks-pod-identity-agent': 'v1.3.10-eksbuild.3',
    },
  },
  '1.36': { released: '2026-06-02', endOfStandardSupport: '2027-08-02', endOfExtendedSupport: '2028-08-02' },
};

/** Warn this many days before the end of standard support. */
export const WARN_DAYS = 60;

/** The cluster-autoscaler chart the AWS target installs, and the Kubernetes minor its image is built for. */
export const CLUSTER_AUTOSCALER = { chart: 'cluster-autoscaler', version: '9.59.0', appVersion: '1.35.0' } as const;

const DAY = 24 * 60 * 60 * 1000;
const utcDay = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

/**
 * Warning lines for an EKS version on a given day: within WARN_DAYS of the end of standard support,
 * in extended support, or past it; and a cluster-autoscaler built for another Kubernetes minor.
 * `supportType` is the cluster's `upgrade_policy`: with `STANDARD` AWS upgrades the control plane
 * itself when standard support ends (and the config then names a version the cluster no longer runs).
 */
export function eksVersionWarnings(version: string, today: Date, supportType: 'STANDARD' | 'EXTENDED' = 'EXTENDED'): string[] {
  const v = eksVersions[version];
  if (!v) return [`EKS ${version} is not in the support table (constructs/targets/aws/kubernetes-versions.ts)`];
  const now = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const out: string[] = [];
  const standard = utcDay(v.endOfStandardSupport);
  const extended = utcDay(v.endOfExtendedSupport);
  if (now > extended) {
    out.push(`EKS ${version} left extended support on ${v.endOfExtendedSupport}; AWS upgrades such control planes itself. Upgrade now.`);
  } else if (now > standard) {
    out.push(
      supportType === 'STANDARD'
        ? `EKS ${version} left standard support on ${v.endOfStandardSupport}; with supportType STANDARD AWS upgrades the control plane itself, ahead of this config (node groups, add-ons). Upgrade to ${supportedNow(today).join(' or ')} (docs/operations.md, "Upgrading EKS").`
        : `EKS ${version} left standard support on ${v.endOfStandardSupport} and bills extended support until ${v.endOfExtendedSupport}; upgrade to ${supportedNow(today).join(' or ')}.`,
    );
  } else if (standard - now <= WARN_DAYS * DAY) {
    const days = Math.round((standard - now) / DAY);
    out.push(
      `EKS ${version} leaves standard support on ${v.endOfStandardSupport} (in ${days} days); plan the upgrade.${supportType === 'STANDARD' ? ' After that day AWS upgrades the control plane itself (supportType STANDARD).' : ''}`,
    );
  }
  const caMinor = CLUSTER_AUTOSCALER.appVersion.split('.').slice(0, 2).join('.');
  if (caMinor !== version) {
    out.push(
      `cluster-autoscaler ${CLUSTER_AUTOSCALER.appVersion} (chart ${CLUSTER_AUTOSCALER.version}) is built for Kubernetes ${caMinor}; the cluster runs ${version}. Move the chart to the matching minor.`,
    );
  }
  return out;
}

/** Versions in standard support on a day, oldest first. */
export function supportedNow(today: Date): string[] {
  const now = today.getTime();
  return Object.entries(eksVersions)
    .filter(([, v]) => utcDay(v.released) <= now && now <= utcDay(v.endOfStandardSupport))
    .map(([k]) => k);
}

/** The add-on versions an environment runs: its own pins over the table's. */
export function addonVersionsFor(version: string, overrides: Partial<Record<AddonName, string>>): Partial<Record<AddonName, string>> {
  return { ...(eksVersions[version]?.addons ?? {}), ...overrides };
}
