/**
 * The monitoring stack as one catalogue entry (`services.monitoring`): Prometheus, Alertmanager,
 * Grafana, Loki with Grafana Alloy as the log shipper, Jaeger v2 for traces, and the host exporters
 * (node-exporter for the hosts, cAdvisor for containers, NVIDIA's DCGM exporter where a service uses
 * GPUs). Each is a spec of its own (constructs/services/<name>.ts); this file holds the config every
 * part reads and builds them.
 *
 * What they watch is not listed here: each target's realization of Prometheus scrapes every spec it
 * runs at the metrics endpoint the spec declares, and records the signals the spec's metric source
 * states (monitoring/). Promtail, which the platform's documents name, reached its end of life on
 * 2 March 2026; Alloy replaces it.
 */
import type { ServiceSpec } from '../spec/types';
import { alertmanager } from './alertmanager';
import { alloy } from './alloy';
import { cadvisor } from './cadvisor';
import { type BuildContext, defineService } from './common';
import { dcgmExporter } from './dcgm-exporter';
import { grafana } from './grafana';
import { jaeger } from './jaeger';
import { loki } from './loki';
import { nodeExporter } from './node-exporter';
import { prometheus } from './prometheus';
import { monitoringSchema } from './monitoring-config';
import { MONITORING } from './monitoring-part';

export * from './monitoring-config';

export const monitoring = defineService({
  ...MONITORING,
  schema: monitoringSchema,
  // Builds after every other entry (the GPU exporter where a service uses GPUs, Alloy's log counters).
  observes: true,
  build(c, ctx: BuildContext) {
    const gpus = (ctx.observed ?? []).some((s: ServiceSpec) => s.containers.some((x) => (x.gpus ?? 0) > 0));
    const host = c.hostMetrics;
    return [
      prometheus(c, ctx),
      alertmanager(c),
      grafana(c, ctx),
      loki(c),
      alloy(c, ctx),
      jaeger(c),
      ...(host.enabled ? [nodeExporter(c, host.nodeExporter), cadvisor(c, host.cadvisor)] : []),
      ...(gpus ? [dcgmExporter(c)] : []),
    ];
  },
});
