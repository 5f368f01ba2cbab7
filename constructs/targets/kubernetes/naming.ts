/**
 * Where things are in the cluster (pure): one namespace per concern, the labels that select a
 * service's pods, and the DNS name under which a service answers.
 */
import type { Concern, ServiceSpec } from '../../spec/types';

/** The Pod Security Standards level of each of the platform's namespaces, and why when not `restricted`. */
export const POD_SECURITY: Readonly<Record<Concern, { level: 'restricted' | 'baseline' | 'privileged'; reason?: string }>> = {
  data: { level: 'restricted' },
  messaging: { level: 'restricted' },
  ai: { level: 'restricted' },
  monitoring: { level: 'restricted' },
  mail: { level: 'restricted' },
  edge: { level: 'restricted' },
};

/**
 * The labels of the pods that scrape metrics (the platform's Prometheus carries them): the only pods
 * of the monitoring namespace the services' metrics ports admit.
 */
export const SCRAPER_LABELS: Readonly<Record<string, string>> = { 'platform/monitoring': 'prometheus' };

/** The label the monitoring stack's chart pods carry, selecting them in network policies. */
export const MONITORING_LABEL = 'platform/monitoring';

export function namespaceOf(prefix: string, concern: Concern): string {
  return `${prefix}-${concern}`;
}

/** Labels every pod of a service carries (and that policies select it by). */
export function podLabels(spec: Pick<ServiceSpec, 'name'>, part: string = 'server'): Record<string, string> {
  return { 'app.kubernetes.io/name': spec.name, 'app.kubernetes.io/component': part };
}

/** Labels of the pods of a service's job. */
export function jobLabels(spec: Pick<ServiceSpec, 'name'>, job: string): Record<string, string> {
  return podLabels(spec, `job-${job}`);
}

/** The namespace-qualified DNS name of a Service (portable across cluster domains). */
export function serviceDns(service: string, namespace: string): string {
  return `${service}.${namespace}.svc`;
}
