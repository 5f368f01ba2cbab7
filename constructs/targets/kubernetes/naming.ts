/**
 * Where things are in the cluster (pure): one namespace per concern, the labels that select a
 * service's pods, and the DNS name under which a service answers.
 */
import type { Concern, ServiceSpec } from '../../spec/types';

/** The Linux capabilities Pod Security `baseline` lets a container add (kubernetes.io, Pod Security Standards). */
export const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
] as const;

export interface PodSecurity {
  readonly level: 'restricted' | 'baseline';
  /** Why not `restricted`: the containers' own reasons (`ContainerSpec.privileges`). */
  readonly reason?: string;
}

/**
 * The Pod Security Standards level of a namespace from what runs in it: `restricted`, unless a
 * container declares privileges (root, escalation, capabilities within `baseline`), which makes it
 * `baseline` with that container's reason.
 */
export function podSecurityOf(specs: readonly ServiceSpec[]): PodSecurity {
  const reasons = specs.flatMap((s) => s.containers.flatMap((c) => (c.privileges ? [`${s.name}/${c.name}: ${c.privileges.reason}`] : [])));
  return reasons.length ? { level: 'baseline', reason: reasons.join('; ') } : { level: 'restricted' };
}

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

/** A namespace's Pod Security Admission labels: `level` enforced (at the latest policy version), audited and warned. */
export function podSecurityLabels(level: string): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/warn': level,
  };
}
