/**
 * What the cluster drills share: the `clusters` scenario (the large profile on Kubernetes,
 * scripts/verify/scenarios/clusters.ts) synthesized once, a member's files, environment and
 * command exactly as its pod gets them (generated secrets replaced by stand-ins, `$(POD_NAME)`
 * expanded as the kubelet does), address rewriting to the loopback interface, and processes that
 * are always stopped, bounded in time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from '../../constructs/providers/cdktf';
import type { Environment } from '../../environments/parse/load';
import { EnvironmentStack } from '../../stacks/environment-stack';
import { prepare } from '../../stacks/pipeline';
import clusters, { CLUSTERS_FILE } from './scenarios/clusters';
import { terraformRender, work } from './lib';
export { freePorts } from './lib';

const synthesized = new Map<string, { env: Environment; tf: any }>();

/**
 * The clusters environment and its synthesized stack (once per run); `internalTls`: the same with
 * internal TLS on (its own name and kubeconfig context, as a second environment would have).
 */
export function clustersStack(variant: 'plain' | 'internalTls' = 'plain'): { env: Environment; tf: any } {
  let done = synthesized.get(variant);
  if (!done) {
    const input =
      variant === 'plain'
        ? clusters
        : {
            ...clusters,
            name: 'clusters-tls',
            target: { ...clusters.target, cluster: { auth: 'kubeconfig' as const, context: 'agent-platform-clusters-tls' } },
            internalTls: { enabled: true },
          };
    const env = prepare({ file: variant === 'plain' ? CLUSTERS_FILE : CLUSTERS_FILE.replace(/\.ts$/, '-tls.ts'), input });
    const app = Testing.app({ stackTraces: false });
    const stack = new EnvironmentStack(app, { environment: env });
    done = { env, tf: JSON.parse(Testing.synth(stack)) };
    synthesized.set(variant, done);
  }
  return done;
}

export interface MemberContainer {
  readonly env: Record<string, string>;
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** Files by their path in the container, as Terraform would write them. */
  readonly files: ReadonlyMap<string, string>;
}

/**
 * Container `container` of member `index` of a StatefulSet: its files from the workload's ConfigMap
 * and Secret, its environment and command with `$(POD_NAME)` expanded (the downward API).
 */
export function memberContainer(
  service: string,
  index: number,
  container = 'main',
  variant: 'plain' | 'internalTls' = 'plain',
): MemberContainer {
  const { tf } = clustersStack(variant);
  const sts = tf.resource.kubernetes_stateful_set_v1?.[service];
  if (!sts) throw new Error(`no StatefulSet ${service} in the clusters stack`);
  const c = sts.spec.template.spec.container.find((x: any) => x.name === container);
  if (!c) throw new Error(`${service} has no container ${container}`);
  const data: Record<string, string> = {
    ...(tf.resource.kubernetes_config_map_v1?.[`${service}_config`]?.data ?? {}),
    ...(tf.resource.kubernetes_secret_v1?.[`${service}_secret`]?.data ?? {}),
  };
  const pod = `${service}-${index}`;
  const expand = (s: string) => terraformRender(s, tf.resource).replaceAll('$(POD_NAME)', pod);
  const files = new Map<string, string>();
  for (const m of c.volume_mount ?? []) {
    if (m.sub_path && data[m.sub_path] !== undefined) files.set(m.mount_path, terraformRender(data[m.sub_path]!, tf.resource));
  }
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(e.value);
    else if (e.value_from?.field_ref?.field_path === 'metadata.name') env[e.name] = pod;
  }
  return { env, command: (c.command ?? []).map(expand), args: (c.args ?? []).map(expand), files };
}

/** A file of a member, or an error naming what the pod has. */
export function fileOf(m: MemberContainer, filePath: string): string {
  const f = m.files.get(filePath);
  if (f === undefined) throw new Error(`no file ${filePath}; the container has ${[...m.files.keys()].join(', ')}`);
  return f;
}

/** `<service>-<i>.<service>-headless.<namespace>.svc` of the clusters environment. */
export function memberHost(service: string, index: number): string {
  const { tf } = clustersStack();
  const ns = tf.resource.kubernetes_stateful_set_v1[service].metadata.namespace;
  return `${service}-${index}.${service}-headless.${ns}.svc`;
}

/**
 * Rewrites `host:port` (or `host port`) of the members to the loopback addresses the drill uses:
 * `ports[i][port]` is where member i's port listens here.
 */
export function toLoopback(text: string, service: string, ports: readonly Readonly<Record<number, number>>[]): string {
  let out = text;
  ports.forEach((byPort, i) => {
    const host = memberHost(service, i).replaceAll('.', '\\.');
    for (const [from, to] of Object.entries(byPort)) {
      out = out.replace(new RegExp(`${host}([: ])${from}\\b`, 'g'), `127.0.0.1$1${to}`);
    }
  });
  return out;
}

/** A scratch directory for one member of one drill. */
export function memberDir(drill: string, index: number): string {
  const dir = fs.mkdtempSync(path.join(work, `${drill}-${index}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  log(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (a crash, a lost node); resolves when it is gone. */
  kill(): Promise<void>;
}

/** Every process a drill starts, so it can stop them all however it ends. */
export class Processes {
  private readonly procs: Proc[] = [];

  start(name: string, cmd: string, args: readonly string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Proc {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      detached: true,
    });
    let log = '';
    let done = false;
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    // The whole process group: what a wrapper started in the background goes with it.
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, s);
      } catch {
        /* already gone */
      }
    };
    // As in a container, nothing outlives the main process: when it ends, the rest of its group is
    // killed at once (while the group still exists, so its id cannot belong to anyone else).
    const gone = new Promise<void>((resolve) => child.once('exit', () => ((done = true), signal('SIGKILL'), resolve())));
    child.once('error', (e) => ((log += String(e)), (done = true)));
    const proc: Proc = {
      name,
      child,
      log: () => log,
      exited: () => done,
      stop: async (graceMs = 5000) => {
        if (done) return;
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      },
      kill: async () => {
        if (done) return;
        signal('SIGKILL');
        await gone;
      },
    };
    this.procs.push(proc);
    return proc;
  }

  /** Stops one running process by the name it was started under (`crash`: SIGKILL, no shutdown). */
  async stopOne(name: string, crash = false): Promise<void> {
    const p = this.procs.find((x) => x.name === name && !x.exited());
    if (!p) throw new Error(`no running process ${name}`);
    await (crash ? p.kill() : p.stop());
  }

  /** Stops everything, the last started first (a node before the epmd it registered with). */
  async stopAll(): Promise<void> {
    for (const p of [...this.procs].reverse()) await p.stop(3000);
  }

  /** The last lines of every process's log, for a failure message. */
  logs(lines = 6): string {
    return this.procs.map((p) => `--- ${p.name}\n${p.log().trim().split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}

/** A failure that ends a wait at once (a process that died), instead of being retried. */
export class DrillFailure extends Error {}

/** Polls `check` until it returns a value (not undefined) or the time runs out; a DrillFailure ends it at once. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof DrillFailure) throw e;
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs `drill` with a hard time limit; its processes are stopped whatever happens. */
export async function bounded(limitMs: number, procs: Processes, drill: () => Promise<void>): Promise<{ code: number; out: string }> {
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  try {
    await Promise.race([
      drill(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`drill exceeded ${limitMs / 1000} s`)), limitMs))),
    ]);
    return { code: 0, out: `${((Date.now() - started) / 1000).toFixed(1)} s` };
  } catch (e) {
    return { code: 1, out: `${e instanceof Error ? e.message : String(e)}\n${procs.logs()}` };
  } finally {
    clearTimeout(timer);
    await procs.stopAll();
  }
}

/** An HTTP GET on the loopback interface: the status code, or 0 when nothing answers. */
export async function httpStatus(port: number, urlPath: string): Promise<number> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(2000) });
    await r.text();
    return r.status;
  } catch {
    return 0;
  }
}
