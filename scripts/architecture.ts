/**
 * The per-environment pictures of docs/architecture.md (`npm run docs`), from the environments
 * themselves: every service where it runs (the Docker host; a cluster namespace with its
 * realization; an AWS managed service), the node pools an AWS cluster has, and the arrows between
 * them. A picture is a graph built by contributors, each adding nodes and edges from the
 * environment: `services` (where each spec runs) and `dependencies` (a spec's dependsOn). Issue 13's
 * consumers (who uses a service) are one more contributor; nothing else changes.
 */
import type { Environment } from '../environments/parse/load';
import type { ServiceSpec } from '../constructs/spec/types';
import { namespaceOf } from '../constructs/targets/kubernetes/naming';
import { placeServices } from '../constructs/targets/aws/placement';
import { zoneGroups } from '../constructs/targets/aws/node-pools';
import { realizationOf } from '../constructs/render/kubernetes/realizations';
import { managedRenderers } from '../constructs/render/aws/managed-renderers';

export interface Group {
  readonly id: string;
  readonly label: string;
  /** Nested in another group. */
  readonly parent?: string;
}

export interface Node {
  readonly id: string;
  readonly label: string;
  readonly group?: string;
  /** `service` (a box), `managed` (a cylinder), `pool` (nodes), `consumer` (a rounded box). */
  readonly kind: 'service' | 'managed' | 'pool' | 'consumer';
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  /** `depends`: start order and the dependent's connection; `runs-on`: a workload's node pool. */
  readonly kind: 'depends' | 'runs-on' | 'uses';
}

export interface Picture {
  readonly groups: Group[];
  readonly nodes: Node[];
  readonly edges: Edge[];
}

export type Contributor = (env: Environment, picture: Picture) => void;

const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
const plural = (n: number) => (n === 1 ? '' : ` ×${n}`);

/** Where each spec runs, by target. */
const services: Contributor = (env, pic) => {
  const add = (spec: ServiceSpec, group: string, detail: string) =>
    pic.nodes.push({ id: id(spec.name), label: `${spec.name}${plural(spec.replicas)}<br/>${detail}`, group, kind: 'service' });
  const sidecars = (spec: ServiceSpec) =>
    spec.containers
      .slice(1)
      .map((c) => `+${c.name}`)
      .join(' ');
  switch (env.target.kind) {
    case 'docker': {
      pic.groups.push({
        id: 'host',
        label: `Docker host · network ${env.project}-${env.name} ${env.target.network.subnet} · ports on 127.0.0.1`,
      });
      for (const spec of env.specs)
        add(
          spec,
          'host',
          `container ${spec.containers[0]!.image.repository.split('/').pop()}:${spec.containers[0]!.image.tag} ${sidecars(spec)}`.trim(),
        );
      return;
    }
    case 'kubernetes': {
      pic.groups.push({
        id: 'cluster',
        label: `Kubernetes cluster${env.target.cluster.auth === 'kubeconfig' ? ` · context ${env.target.cluster.context}` : ''}`,
      });
      inCluster(env.specs, env.target.namespacePrefix, 'cluster', pic, add);
      return;
    }
    case 'aws': {
      const target = env.target;
      const placement = placeServices(env);
      pic.groups.push({ id: 'aws', label: `AWS ${target.region}${target.accountId ? ` · account ${target.accountId}` : ''}` });
      pic.groups.push({
        id: 'eks',
        label: `EKS ${target.eks.version} · VPC ${target.vpc.cidr} over ${target.vpc.zones.length} zones`,
        parent: 'aws',
      });
      pic.groups.push({ id: 'managed', label: 'managed services', parent: 'aws' });
      inCluster(placement.inCluster, target.eks.namespace, 'eks', pic, add);
      for (const m of placement.managed)
        pic.nodes.push({
          id: id(m.spec.name),
          label: `${m.spec.component}<br/>${managedRenderers[m.equivalent].title}`,
          group: 'managed',
          kind: 'managed',
        });
      for (const pool of ['system', 'gpu'] as const) {
        const groups = zoneGroups(target, pool);
        if (groups.length === 0) continue;
        const cfg = pool === 'system' ? target.eks.systemNodePool : target.eks.gpuNodePool!;
        const sum = (k: 'min' | 'desired' | 'max') => groups.reduce((n, g) => n + g[k], 0);
        pic.nodes.push({
          id: `pool_${pool}`,
          label: `${pool} nodes<br/>${cfg.instanceTypes.join('/')} · ${sum('desired')} (${sum('min')}..${sum('max')}) in ${groups.length} zones`,
          group: 'eks',
          kind: 'pool',
        });
      }
      // GPU workloads run on the GPU pool (its taint); the rest on the system pool.
      if (zoneGroups(target, 'gpu').length > 0)
        for (const spec of placement.inCluster)
          if (spec.containers.some((c) => (c.gpus ?? 0) > 0)) pic.edges.push({ from: id(spec.name), to: 'pool_gpu', kind: 'runs-on' });
      return;
    }
  }
};

function inCluster(
  specs: readonly ServiceSpec[],
  prefix: string,
  parent: string,
  pic: Picture,
  add: (spec: ServiceSpec, group: string, detail: string) => void,
): void {
  for (const spec of specs) {
    const ns = namespaceOf(prefix, spec.concern);
    if (!pic.groups.some((g) => g.id === id(ns))) pic.groups.push({ id: id(ns), label: `namespace ${ns}`, parent });
    // The realization's first clause (the detail is in docs/services.md).
    add(spec, id(ns), realizationOf(spec).describe(spec).split(/[:;]/)[0]!.replace(/[`"]/g, '').trim());
  }
}

/** A spec's dependencies: it starts after them and connects to them. */
const dependencies: Contributor = (env, pic) => {
  const known = new Set(pic.nodes.map((n) => n.id));
  for (const spec of env.specs)
    for (const dep of spec.dependsOn)
      if (known.has(id(spec.name)) && known.has(id(dep))) pic.edges.push({ from: id(spec.name), to: id(dep), kind: 'depends' });
};

/** The contributors, in order (issue 13 adds the consumers here). */
export const contributors: readonly Contributor[] = [services, dependencies];

export function pictureOf(env: Environment): Picture {
  const pic: Picture = { groups: [], nodes: [], edges: [] };
  for (const c of contributors) c(env, pic);
  return pic;
}

const SHAPES: Readonly<Record<Node['kind'], (label: string) => string>> = {
  service: (l) => `["${l}"]`,
  managed: (l) => `[("${l}")]`,
  pool: (l) => `{{"${l}"}}`,
  consumer: (l) => `(["${l}"])`,
};
const ARROWS: Readonly<Record<Edge['kind'], string>> = { depends: '-->', 'runs-on': '-.->', uses: '==>' };

/** The picture as a Mermaid flowchart. */
export function mermaid(pic: Picture): string {
  const lines = ['flowchart TB'];
  const emit = (parent: string | undefined, indent: string) => {
    for (const g of pic.groups.filter((x) => x.parent === parent)) {
      lines.push(`${indent}subgraph ${g.id}["${g.label}"]`);
      emit(g.id, `${indent}  `);
      for (const n of pic.nodes.filter((x) => x.group === g.id)) lines.push(`${indent}  ${n.id}${SHAPES[n.kind](n.label)}`);
      lines.push(`${indent}end`);
    }
  };
  emit(undefined, '  ');
  for (const n of pic.nodes.filter((x) => !x.group)) lines.push(`  ${n.id}${SHAPES[n.kind](n.label)}`);
  for (const e of pic.edges) lines.push(`  ${e.from} ${ARROWS[e.kind]}${e.label ? `|"${e.label}"|` : ''} ${e.to}`);
  return lines.join('\n');
}

/** The generated section of docs/architecture.md: one picture per environment. */
export function renderEnvironmentPictures(envs: readonly Environment[]): string {
  const out = [
    'One picture per environment in `environments/`, generated by `npm run docs` from the environments',
    '(`scripts/architecture.ts`): each service where it runs, with its realization; arrows are',
    'dependencies (a service starts after, and connects to, what it points at); dotted arrows, the node',
    'pool a workload is scheduled on. Managed services are drawn as cylinders, node pools as hexagons.',
    '',
  ];
  for (const env of envs) {
    out.push(`### ${env.name} (${env.target.kind}, profile ${env.profile})`, '', '```mermaid', mermaid(pictureOf(env)), '```', '');
  }
  return out.join('\n');
}

export const BEGIN = (name: string) => `<!-- BEGIN GENERATED ${name}: npm run docs writes this section; do not edit it by hand -->`;
export const END = (name: string) => `<!-- END GENERATED ${name} -->`;

/** `text` with the section between the markers `name` replaced by `content` (the markers must be there). */
export function replaceSection(text: string, name: string, content: string): string {
  const begin = text.indexOf(BEGIN(name));
  const end = text.indexOf(END(name));
  if (begin < 0 || end < begin) throw new Error(`the markers of the generated section ${name} are missing`);
  return `${text.slice(0, begin + BEGIN(name).length)}\n\n${content.trimEnd()}\n\n${text.slice(end)}`;
}
