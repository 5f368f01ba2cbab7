/**
 * Ollama on Kubernetes (staging: one GPU, the device plugin installed by the stack): the configured
 * models are pulled by an init container before the server starts, on the member's own volume; GPU
 * scheduling comes from the environment; the NVIDIA device plugin runs on the GPU nodes only.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepare } from '../stacks/pipeline';
import { DEVICE_PLUGIN_NAMESPACE } from '../constructs/render/kubernetes/nvidia-device-plugin';
import { ollama as realization, pullScript } from '../constructs/render/kubernetes/ollama';
import { ConfigError } from '../environments/parse/load';
import { env, spec, synth, variant } from './helpers';
import { warningsFor } from '../stacks/warnings';

const staging = env('staging');
const { tf } = synth(staging);
const res = (t: typeof tf, type: string): Record<string, any> => t.resource[type] ?? {};
const sts = res(tf, 'kubernetes_stateful_set_v1').ollama;
const pod = sts.spec.template.spec;
const main = pod.container.find((c: any) => c.name === 'main');
const init = pod.init_container?.[0];
const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));

describe('models pulled before the server is ready', () => {
  it('an init container, not a Job: nothing else runs the pull', () => {
    expect(pod.init_container.map((c: any) => c.name)).toEqual(['pull-models']);
    expect(Object.keys(res(tf, 'kubernetes_job_v1')).filter((n) => n.startsWith('ollama'))).toEqual([]);
    expect(realization.describe(spec(staging, 'ollama'))).toMatch(/init container before the server starts/);
  });

  it('runs a temporary server from the same image on loopback, with the server’s model directory', () => {
    expect(init.image).toBe(main.image);
    expect(envOf(init)).toMatchObject({ OLLAMA_HOST: '127.0.0.1:11434', OLLAMA_MODELS: '/var/lib/ollama/models', HOME: '/var/lib/ollama' });
    expect(envOf(main).OLLAMA_HOST).toBe('0.0.0.0:11434');
    // No GPU for the pull: the image's NVIDIA_VISIBLE_DEVICES=all would hand it every GPU of the node.
    expect(envOf(init).NVIDIA_VISIBLE_DEVICES).toBe('void');
    expect(init.resources.limits['nvidia.com/gpu']).toBeUndefined();
    const script = init.command[2];
    expect(init.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(script).toContain('ollama serve >/tmp/ollama-serve.log 2>&1 &');
    expect(script).toContain("timeout 7200 sh -c '");
    expect(script).toMatch(/pull 'llama3\.1:8b'$/);
  });

  it('on the member’s model volume (kept across restarts), with scratch for /tmp and a read-only root', () => {
    expect(init.volume_mount).toEqual(
      expect.arrayContaining([
        { name: 'models', mount_path: '/var/lib/ollama', read_only: false },
        expect.objectContaining({ mount_path: '/tmp' }),
      ]),
    );
    expect(init.security_context).toMatchObject({
      run_as_non_root: true,
      run_as_user: '1000',
      allow_privilege_escalation: false,
      read_only_root_filesystem: true,
      capabilities: { drop: ['ALL'] },
      seccomp_profile: { type: 'RuntimeDefault' },
    });
    const [claim] = sts.spec.volume_claim_template;
    expect(claim.metadata.name).toBe('models');
    expect(claim.spec).toMatchObject({
      access_modes: ['ReadWriteOnce'],
      resources: { requests: { storage: '100Gi' } },
      // The cluster's default storage class (none named).
    });
    expect(sts.spec.persistent_volume_claim_retention_policy).toEqual([{ when_deleted: 'Retain', when_scaled: 'Retain' }]);
  });

  it('within the pod’s own resources and without a GPU (pulling needs none)', () => {
    expect(init.resources.limits).toEqual({ cpu: main.resources.limits.cpu, memory: main.resources.limits.memory });
    expect(init.resources.requests).toEqual(main.resources.requests);
  });

  it('the apply does not wait for a GPU workload (there may be no GPU node): synth says so, and what happens', () => {
    expect(sts.wait_for_rollout).toBe(false);
    const [notice] = warningsFor(staging).filter((w) => w.includes('services.ollama'));
    expect(notice).toMatch(/needs 1 GPU per member on nodes with feature\.node\.kubernetes\.io\/pci-10de\.present=true/);
    expect(notice).toMatch(/does not wait \(target\.gpu\.waitForRollout\): without such nodes its pods stay Pending/);
    expect(notice).toContain('kubectl -n agent-platform-ai rollout status statefulset/ollama');
  });

  it('where the environment says GPU nodes are there, the apply waits for the pull: the rollout time limit includes it', () => {
    const waiting = synth(prepare(variant('staging', (i) => (i.target.gpu.waitForRollout = true)))).tf;
    const s = res(waiting, 'kubernetes_stateful_set_v1').ollama;
    expect(s.wait_for_rollout).toBe(true);
    expect(parseInt(s.timeouts.create, 10)).toBeGreaterThan(120);
    expect(warningsFor(prepare(variant('staging', (i) => (i.target.gpu.waitForRollout = true)))).join('\n')).not.toContain('GPU');
  });

  it('the pods may reach the internet on 443 (the spec’s declared egress), and nothing else outside', () => {
    const egress = res(tf, 'kubernetes_network_policy_v1').ollama_egress;
    const outside = egress.spec.egress.filter((r: any) => r.to.some((t: any) => t.ip_block));
    expect(outside).toEqual([{ to: [{ ip_block: { cidr: '0.0.0.0/0' } }], ports: [{ port: '443', protocol: 'TCP' }] }]);
  });
});

describe('GPU scheduling from the environment', () => {
  it('an nvidia.com/gpu limit on the server, the GPU nodes’ selector and tolerations on the pod', () => {
    expect(main.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(pod.node_selector).toEqual({ 'feature.node.kubernetes.io/pci-10de.present': 'true' });
    expect(pod.toleration).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('after the device plugin (its pods stay Pending until the resource is advertised)', () => {
    expect(sts.depends_on).toContain('helm_release.nvidia_device_plugin');
  });
});

describe('the NVIDIA device plugin (devicePlugin: install)', () => {
  const release = res(tf, 'helm_release').nvidia_device_plugin;
  const values = JSON.parse(release.values[0]);

  it('chart 0.20.0 in its own namespace, privileged with the reason, admitted at system-node-critical', () => {
    expect(release).toMatchObject({
      chart: 'nvidia-device-plugin',
      version: '0.20.0',
      namespace: DEVICE_PLUGIN_NAMESPACE,
      create_namespace: false,
    });
    const ns = res(tf, 'kubernetes_namespace_v1').namespace_nvidia_device_plugin;
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.annotations['platform/pod-security-reason']).toMatch(/hostPath/);
    const quota = res(tf, 'kubernetes_resource_quota_v1').quota_nvidia_device_plugin;
    expect(quota.spec.scope_selector.match_expression).toEqual([
      { scope_name: 'PriorityClass', operator: 'In', values: ['system-node-critical'] },
    ]);
    expect(release.depends_on).toEqual([
      'kubernetes_namespace_v1.namespace_nvidia_device_plugin',
      'kubernetes_resource_quota_v1.quota_nvidia_device_plugin',
    ]);
  });

  it('on the GPU nodes only: node affinity replaced by their selector (the label Node Feature Discovery sets)', () => {
    expect(values.nodeSelector).toEqual({ 'feature.node.kubernetes.io/pci-10de.present': 'true' });
    expect(values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'feature.node.kubernetes.io/pci-10de.present', operator: 'In', values: ['true'] }] },
    ]);
    expect(values.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('MOFED, GDS and GDRCopy off; fails on a node without a usable driver; feature discovery on every node, GPU taints tolerated', () => {
    expect(values).toMatchObject({
      mofedEnabled: false,
      gdsEnabled: false,
      gdrcopyEnabled: false,
      failOnInitError: true,
      gfd: { enabled: true },
    });
    // NFD's workers run on every node (no selector), tolerating the chart's own taints and the GPU nodes'.
    expect(values.nfd.worker.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/master', operator: 'Equal', value: '', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' },
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const plain = JSON.parse(
      res(
        synth(
          prepare(
            variant(
              'staging',
              (i) => (
                (i.target.gpu.featureDiscovery = false),
                (i.target.gpu.nodeSelector = { 'cloud.google.com/gke-accelerator': 'nvidia-l4' })
              ),
            ),
          ),
        ).tf,
        'helm_release',
      ).nvidia_device_plugin.values[0],
    );
    expect(plain.gfd).toEqual({ enabled: false });
    expect(plain.nfd).toBeUndefined();
    expect(JSON.stringify(plain)).not.toContain('feature.node.kubernetes.io');
  });

  it('refused without a GPU node selector: it would run on every node', () => {
    let err: unknown;
    try {
      prepare(variant('staging', (i) => (i.target.gpu.nodeSelector = {})));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(
      /test\/fixtures\/staging\.ts: target\.gpu\.nodeSelector: must name a label the GPU nodes carry/,
    );
  });

  it('refuses nvidia.com/gpu.present with the plugin this stack installs: only the GPU Operator sets it', () => {
    let err: unknown;
    try {
      prepare(variant('staging', (i) => (i.target.gpu.nodeSelector = { 'nvidia.com/gpu.present': 'true' })));
    } catch (e) {
      err = e;
    }
    expect(String((err as Error).message)).toMatch(
      /target\.gpu\.nodeSelector\.nvidia\.com\/gpu\.present: is set only by the NVIDIA GPU Operator/,
    );
    // Where the GPU Operator runs (devicePlugin: 'present'), it is the right label.
    expect(() =>
      prepare(
        variant(
          'staging',
          (i) => (
            (i.target.gpu.nodeSelector = { 'nvidia.com/gpu.present': 'true' }),
            (i.target.gpu.devicePlugin = 'present'),
            (i.target.gpu.featureDiscovery = false)
          ),
        ),
      ),
    ).not.toThrow();
  });
});

describe('variants', () => {
  it('without GPUs: no GPU limit, no node selector or tolerations, no device plugin; the models still come first', () => {
    const t = synth(
      prepare(
        variant('staging', (i) => {
          delete i.target.gpu;
          i.services.ollama.gpus = 0;
        }),
      ),
    ).tf;
    const s = res(t, 'kubernetes_stateful_set_v1').ollama.spec.template.spec;
    expect(s.container.find((c: any) => c.name === 'main').resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(s.node_selector).toBeUndefined();
    expect(s.toleration).toBeUndefined();
    expect(res(t, 'helm_release').nvidia_device_plugin).toBeUndefined();
    expect(res(t, 'kubernetes_namespace_v1').namespace_nvidia_device_plugin).toBeUndefined();
    expect(s.init_container.map((c: any) => c.name)).toEqual(['pull-models']);
  });

  it('without models: no init container and no internet', () => {
    const t = synth(prepare(variant('staging', (i) => (i.services.ollama.models = [])))).tf;
    const s = res(t, 'kubernetes_stateful_set_v1').ollama.spec.template.spec;
    expect(s.init_container).toBeUndefined();
    const egress = res(t, 'kubernetes_network_policy_v1').ollama_egress;
    expect((egress?.spec.egress ?? []).filter((r: any) => r.to.some((x: any) => x.ip_block))).toEqual([]);
  });
});

// Concurrent: each run waits on its own processes (one for the time limit).
describe.concurrent('the pull script, run by /bin/sh against a stand-in ollama', () => {
  // `ollama` that records what it is asked: `serve` runs until killed, `show` knows the models in
  // $STATE/present, `pull` records the model and marks it present.
  const fake = [
    '#!/bin/sh',
    'case "$1" in',
    '  serve) echo started > "$STATE/serving"; trap \'rm -f "$STATE/serving"; exit 0\' TERM; while :; do sleep 0.1; done ;;',
    // Answers once the stand-in server is up (it starts in the background), so no test waits a full retry.
    '  list) i=0; while [ ! -f "$STATE/serving" ] && [ "$i" -lt 40 ]; do sleep 0.05; i=$((i + 1)); done; test -f "$STATE/serving" ;;',
    '  show) grep -qx "$2" "$STATE/present" 2>/dev/null ;;',
    '  pull) [ -f "$STATE/fail" ] && exit 1; [ -f "$STATE/slow" ] && sleep 5; echo "$2" >> "$STATE/pulled"; echo "$2" >> "$STATE/present" ;;',
    'esac',
  ].join('\n');

  async function run(models: string[], present: string[], opts: { fail?: boolean; slow?: boolean; seconds?: number } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ollama-pull-'));
    fs.writeFileSync(path.join(dir, 'ollama'), fake, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'present'), present.map((m) => `${m}\n`).join(''));
    if (opts.fail) fs.writeFileSync(path.join(dir, 'fail'), '');
    if (opts.slow) fs.writeFileSync(path.join(dir, 'slow'), '');
    const { status, output } = await new Promise<{ status: number | null; output: string }>((resolve) => {
      const child = spawn('/bin/sh', ['-c', pullScript(models, opts.seconds ?? 30)], {
        env: { PATH: `${dir}:/usr/bin:/bin`, STATE: dir },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ status: code, output: out });
      });
    });
    const pulled = fs.existsSync(path.join(dir, 'pulled')) ? fs.readFileSync(path.join(dir, 'pulled'), 'utf8').trim().split('\n') : [];
    const serving = fs.existsSync(path.join(dir, 'serving'));
    fs.rmSync(dir, { recursive: true, force: true });
    return { status, output, pulled, serving };
  }

  it('pulls only the models the volume does not hold, then stops the server', async ({ expect }) => {
    const r = await run(['llama3.1:8b', 'nomic-embed-text:v1.5', 'hf.co/org/repo:Q4_K_M'], ['llama3.1:8b']);
    expect(r.status).toBe(0);
    expect(r.pulled).toEqual(['nomic-embed-text:v1.5', 'hf.co/org/repo:Q4_K_M']);
    expect(r.output).toContain('llama3.1:8b: on the volume');
    expect(r.serving).toBe(false);
  });

  it('a restart with everything on the volume asks no registry', async ({ expect }) => {
    const r = await run(['llama3.1:8b'], ['llama3.1:8b']);
    expect(r.status).toBe(0);
    expect(r.pulled).toEqual([]);
  });

  it('a failed pull fails the init container (the kubelet retries it), and the server is stopped', async ({ expect }) => {
    const r = await run(['llama3.1:8b'], [], { fail: true });
    expect(r.status).not.toBe(0);
    expect(r.serving).toBe(false);
  });

  it('the pulls share one time limit: past it the init container fails and stops the server', async ({ expect }) => {
    // A fraction of a second, as GNU timeout (the image's) takes it: the test waits no longer than that.
    const r = await run(['llama3.1:8b', 'nomic-embed-text:v1.5'], [], { slow: true, seconds: 0.3 });
    expect(r.status).toBe(124);
    expect(r.pulled).toEqual([]);
    expect(r.serving).toBe(false);
  });
});
