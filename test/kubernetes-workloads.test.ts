/**
 * Deployments, Jobs and CronJobs are written without their generated bindings' modules
 * (constructs/providers/kubernetes-workloads.ts). Every one the fixtures and the clusters scenario
 * render is written again, beside it in the same stack, by the generated binding from the same
 * config (and gets the environment's labels as the stack stamps them): the two must synthesize the
 * same block.
 */
import { describe, expect, it } from 'vitest';
import { synthOnce, withoutTraces } from '../constructs/providers/cdktf';
import { CronJobV1, DeploymentV1, JobV1, generatedWorkloadBindings } from '../constructs/providers/kubernetes-workloads';
import { stampLabels } from '../constructs/render/labels';
import { EnvironmentStack } from '../stacks/environment-stack';
import { env, testApp } from './helpers';

const generated = await generatedWorkloadBindings();
const ours = [
  [DeploymentV1, generated.DeploymentV1],
  [JobV1, generated.JobV1],
  [CronJobV1, generated.CronJobV1],
] as const;

describe.each(['staging', 'production', 'clusters'] as const)('workloads of %s', (name) => {
  const { twins, tf } = withoutTraces(() => {
    const app = testApp();
    const stack = new EnvironmentStack(app, { environment: env(name) });
    const twins: { type: string; id: string; twin: string }[] = [];
    for (const c of stack.node.findAll()) {
      const pair = ours.find(([Ours]) => c instanceof Ours);
      if (!pair) continue;
      const resource = c as InstanceType<(typeof ours)[number][0]>;
      const config = (resource as unknown as { config: any }).config;
      const twin = new (pair[1] as any)(resource.node.scope, `${resource.node.id}-generated`, config);
      // The environment's labels, as the stack stamps them on every Kubernetes object it built.
      stampLabels(twin, env(name).labels);
      twins.push({ type: resource.terraformResourceType, id: resource.friendlyUniqueId, twin: twin.friendlyUniqueId });
    }
    return { twins, tf: synthOnce(stack).tf };
  });

  it('renders Deployments, Jobs or CronJobs', () => {
    expect(twins.length).toBeGreaterThan(0);
  });

  it('each synthesizes exactly as the generated binding does from the same config', () => {
    for (const { type, id, twin } of twins) expect(tf.resource[type][id], `${type}.${id}`).toEqual(tf.resource[type][twin]);
  });
});
