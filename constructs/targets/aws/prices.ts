/**
 * On-demand prices for the synth summary's monthly estimate of an AWS environment (pure data).
 * Every row names where its figure comes from and when it was read; what has no sourced row is
 * shown as "not priced" and left out of the total, never counted as zero. A month is 730 hours
 * (AWS's own convention in its pricing pages and calculator).
 *
 * Only eu-west-1 (Ireland) is here: an environment in another region gets every item "not priced"
 * until its rows are added. Prices change: re-read them (the sources below; the AWS Price List API,
 * `aws pricing get-products --service-code AmazonEC2 --filters Type=TERM_MATCH,Field=regionCode,Value=eu-west-1 ...`)
 * and update `retrieved`. Figures from third-party copies of AWS's offer files are marked so.
 */

export const HOURS_PER_MONTH = 730;

export type PriceUnit = 'hour' | 'GB-month' | 'month';

export interface Price {
  readonly usd: number;
  readonly unit: PriceUnit;
  /** Where the figure was read, precisely enough to read it again. */
  readonly source: string;
  /** When (YYYY-MM or YYYY-MM-DD). */
  readonly retrieved: string;
}

/** What a stack is billed for: a priceable item and how much of it a month. */
export interface Billable {
  /** Price-table key: `ec2:m6i.2xlarge`, `eks:cluster:standard`, `rds:db.r6g.xlarge:multi-az`. */
  readonly item: string;
  /** What it is, for the reader (`3 NAT gateways`). */
  readonly label: string;
  /** Units a month: hours (instances × 730), GB-months, or items (a key, a secret). */
  readonly quantity: number;
  readonly unit: PriceUnit;
  /** Billed by use (GB processed, stored, ingested): no quantity can be known from the stack. */
  readonly byUse?: boolean;
}

export const PRICED_REGION = 'eu-west-1';

/** eu-west-1, USD, on-demand, Linux. */
export const PRICES: Readonly<Record<string, Price>> = {
  'eks:cluster:standard': {
    usd: 0.1,
    unit: 'hour',
    source:
      'AWS EKS pricing (standard support $0.10 per cluster-hour); eu-west-1 Cost Explorer extract EU-AmazonEKS-Hours:perCluster, $148.80 for 1,488 h (third-party copy)',
    retrieved: '2026-07',
  },
  'eks:cluster:extended': {
    usd: 0.6,
    unit: 'hour',
    source: 'AWS Containers blog, "Amazon EKS extended support" pricing ($0.60 per cluster-hour, effective April 2024)',
    retrieved: '2026-07',
  },
  'ec2:nat-gateway': {
    usd: 0.048,
    unit: 'hour',
    source: 'AWS Price List offer file AmazonEC2/20260925174521/eu-west-1/index.json, usage type EU-NatGateway-Hours (third-party copy)',
    retrieved: '2026-10-02',
  },
  'ec2:vpc-endpoint-az': {
    usd: 0.01,
    unit: 'hour',
    source:
      'usage type EU-VpcEndpoint-Hours, per endpoint and zone, from billed amounts in a public repository (third-party; medium confidence)',
    retrieved: '2026-09',
  },
  'ec2:m6i.2xlarge': {
    usd: 0.428,
    unit: 'hour',
    source: 'aws pricing get-products, AmazonEC2, regionCode eu-west-1, m6i.2xlarge Linux shared on-demand (output in a public guide)',
    retrieved: '2026-09',
  },
  'ec2:g5.2xlarge': {
    usd: 1.35296,
    unit: 'hour',
    source: 'AWS Price List offer file AmazonEC2 version 20260910195514, SKU P2KE3JYU9KQ2RD7B, g5.2xlarge Linux (third-party copy)',
    retrieved: '2026-09-10',
  },
  'ebs:gp3': {
    usd: 0.088,
    unit: 'GB-month',
    source: 'usage type EU-EBS:VolumeUsage.gp3 in a public test fixture (third-party; low confidence)',
    retrieved: '2026-09',
  },
};

export interface CostLine extends Billable {
  /** Monthly USD, or undefined when the item has no sourced price (never 0 for "unknown"). */
  readonly monthlyUsd: number | undefined;
  readonly price?: Price;
}

export interface CostEstimate {
  readonly region: string;
  readonly lines: readonly CostLine[];
  /** Sum of the priced lines only. */
  readonly pricedMonthlyUsd: number;
  readonly unpriced: readonly CostLine[];
}

/** The monthly estimate of `billables` in `region`. */
export function estimate(region: string, billables: readonly Billable[]): CostEstimate {
  const lines = billables.map((b): CostLine => {
    const price = region === PRICED_REGION && !b.byUse ? PRICES[b.item] : undefined;
    return price && price.unit === b.unit ? { ...b, price, monthlyUsd: b.quantity * price.usd } : { ...b, monthlyUsd: undefined };
  });
  return {
    region,
    lines,
    pricedMonthlyUsd: lines.reduce((sum, l) => sum + (l.monthlyUsd ?? 0), 0),
    unpriced: lines.filter((l) => l.monthlyUsd === undefined),
  };
}
