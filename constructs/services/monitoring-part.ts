/** The monitoring entry's identity, which each of its parts' specs carries (constructs/services/monitoring.ts builds them). */

/** The catalogue entry's identity (its parts are specs of their own, configured below `services.monitoring`). */
export const MONITORING = {
  name: 'monitoring',
  title: 'Monitoring (Prometheus, Alertmanager, Grafana, Loki + Alloy, Jaeger)',
  description:
    'Metrics, alerts, dashboards, logs and traces for every service, derived from the catalogue: scrape jobs, rules and dashboards follow the enabled services.',
  concern: 'monitoring',
} as const;

/** The spec's identity: named after the part, configured at `services.monitoring.<part>`. */
export function partIdentity<N extends string>(name: N, configKey: string, description: string) {
  return {
    name,
    component: MONITORING.name as string,
    configPath: `services.monitoring.${configKey}`,
    description,
    concern: 'monitoring' as const,
    replicas: 1,
    scaling: { kind: 'fixed' } as const,
  };
}
