/**
 * Every Helm value this project sets exists in the pinned chart's own values.yaml (verbatim copies
 * in test/fixtures/charts/<chart>-<version>/, with their Chart.yaml): a misspelt key is otherwise
 * silently ignored by Helm. Free-form maps (a `{}` default, or a map of flags the chart passes
 * through, like cluster-autoscaler's `extraArgs`) accept any key below them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AUTOSCALER_SERVICE_ACCOUNT, autoscalerValues } from '../constructs/targets/aws/autoscaler';
import { CLUSTER_AUTOSCALER } from '../constructs/targets/aws/kubernetes-versions';
import { DEVICE_PLUGIN_CHART, devicePluginValues } from '../constructs/targets/kubernetes/nvidia-device-plugin';

const chart = (name: string, version: string) => {
  const dir = path.join(import.meta.dirname, 'fixtures', 'charts', `${name}-${version}`);
  return {
    meta: parse(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')) as { name: string; version: string },
    values: parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8')) as Record<string, unknown>,
  };
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Key paths set in `ours` that the chart's defaults do not have. */
function unknownKeys(ours: Record<string, unknown>, defaults: Record<string, unknown>, openMaps: readonly string[], at = ''): string[] {
  return Object.entries(ours).flatMap(([key, value]) => {
    const p = at ? `${at}.${key}` : key;
    if (!(key in defaults)) return [p];
    const d = defaults[key];
    if (openMaps.includes(p) || (isMap(d) && Object.keys(d).length === 0)) return [];
    if (isMap(value) && isMap(d)) return unknownKeys(value, d, openMaps, p);
    if (isMap(value) && d !== null && d !== undefined) return [`${p} (a map where the chart has ${typeof d})`];
    return [];
  });
}

describe('Helm values exist in the pinned charts', () => {
  it('cluster-autoscaler', () => {
    const c = chart('cluster-autoscaler', CLUSTER_AUTOSCALER.version);
    expect(c.meta).toMatchObject({ name: CLUSTER_AUTOSCALER.chart, version: CLUSTER_AUTOSCALER.version });
    const values = autoscalerValues('cluster', 'eu-west-1');
    expect(unknownKeys(values, c.values, ['extraArgs'])).toEqual([]);
    expect((values.rbac as any).serviceAccount.name).toBe(AUTOSCALER_SERVICE_ACCOUNT);
  });

  it('nvidia-device-plugin', () => {
    const c = chart('nvidia-device-plugin', DEVICE_PLUGIN_CHART.version);
    expect(c.meta).toMatchObject({ name: DEVICE_PLUGIN_CHART.chart, version: DEVICE_PLUGIN_CHART.version });
    expect(unknownKeys(devicePluginValues({ pool: 'gpu' }), c.values, [])).toEqual([]);
  });

  it('the check finds a misspelt key', () => {
    const c = chart('cluster-autoscaler', CLUSTER_AUTOSCALER.version);
    expect(unknownKeys({ autoDiscovery: { clustername: 'x' }, awsRegoin: 'x' }, c.values, ['extraArgs'])).toEqual([
      'autoDiscovery.clustername',
      'awsRegoin',
    ]);
  });
});
