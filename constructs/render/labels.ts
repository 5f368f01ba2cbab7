/**
 * The final pass over a rendered stack: every Kubernetes object the stack creates carries the
 * environment's labels (its file's `labels`), whichever renderer built it. Run once, after the
 * target has rendered, so no construct can forget them. Pod templates get the same labels from the
 * pod policy (kubernetes/pod-policy.ts); objects that charts create get them through the charts'
 * values. A StatefulSet's volume claim templates are left alone: they cannot change in place.
 */
import { type Construct, TerraformResource } from '../providers/cdktf';

/** Adds `labels` to the metadata of every `kubernetes_*` resource under `scope` (existing keys keep their value). */
export function stampLabels(scope: Construct, labels: Readonly<Record<string, string>>): number {
  if (Object.keys(labels).length === 0) return 0;
  let stamped = 0;
  for (const c of scope.node.findAll()) {
    if (!(c instanceof TerraformResource) || !c.terraformResourceType.startsWith('kubernetes_')) continue;
    const metadata = (c as unknown as { metadata?: { internalValue?: { labels?: Record<string, string> } } }).metadata;
    const own = metadata?.internalValue?.labels ?? {};
    c.addOverride('metadata', { labels: { ...labels, ...own } });
    stamped++;
  }
  return stamped;
}
