/**
 * The Kubernetes target's pure part: what a cluster runs for each spec (checks, quotas and the
 * synth summary count it before anything renders), chosen by the typed spec name. A spec whose
 * realization runs just its own containers needs no row.
 */
import type { SpecName, SpecOf } from '../../services';
import type { ServiceSpec } from '../../spec/types';
import { elasticsearchFootprint } from './elasticsearch';
import { kibanaFootprint } from './kibana';

const footprints: { readonly [N in SpecName]?: (spec: SpecOf<N>) => readonly ServiceSpec[] } = {
  elasticsearch: elasticsearchFootprint,
  kibana: kibanaFootprint,
};

/** What the cluster runs for a spec: the realization's pods (an operator's extra nodes, helpers), else the spec. */
export function footprintOf(spec: ServiceSpec): readonly ServiceSpec[] {
  const row = footprints[spec.name as SpecName] as ((s: ServiceSpec) => readonly ServiceSpec[]) | undefined;
  return row ? row(spec) : [spec];
}
