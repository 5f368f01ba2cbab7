/**
 * Which resources realize each service on Kubernetes. The default is the project's own typed
 * resources from the spec (workload.ts); a service whose high availability needs an operator has
 * its own file named after it. docs/services.md lists the choice per service, with its reason.
 */
import type { Environment } from '../../../environments/load';
import type { ServiceSpec } from '../../spec/types';
import type { Realization } from './context';
import { elasticsearch } from './elasticsearch';
import { kibana } from './kibana';
import { ollama } from './ollama';
import { postgres } from './postgres';
import { workload } from './workload';

export const realizations: Readonly<Record<string, Realization>> = { postgres, elasticsearch, kibana, ollama };

export function realizationOf(spec: ServiceSpec): Realization {
  return realizations[spec.name] ?? workload;
}

/** What the cluster runs for a spec: the realization's pods (an operator's extra nodes, helpers), else the spec. */
export function footprintOf(spec: ServiceSpec, env: Environment): readonly ServiceSpec[] {
  return realizationOf(spec).footprint?.(spec, env) ?? [spec];
}
