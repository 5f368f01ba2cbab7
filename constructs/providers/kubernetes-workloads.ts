/**
 * `kubernetes_deployment_v1`, `kubernetes_job_v1` and `kubernetes_cron_job_v1` without their
 * generated bindings' modules.
 *
 * Each of the kubernetes provider's workload bindings carries its own copy of the whole pod template's
 * types and converters (about 5 MB of JavaScript each); loading the three besides the StatefulSet's was
 * an eighth of `npm run synth`'s CPU time. The pod template is one schema in the provider (the same
 * 199 converters, key for key, in the four bindings at @cdktf/provider-kubernetes 12.1.1; the Job's
 * and CronJob's template metadata have no `namespace`), so these classes take the bindings' own
 * config types (type imports: nothing is loaded), convert the template with the StatefulSet binding's
 * converter, and the few fields around it by name. test/kubernetes-workloads.test.ts holds their
 * output to the generated bindings', field for field.
 */
import { TerraformResource, Tokenization } from 'cdktf';
import type { Construct } from 'constructs';
import type { DeploymentV1Config } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import type { JobV1Config } from '@cdktf/provider-kubernetes/lib/job-v1';
import type { CronJobV1Config } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { statefulSetV1SpecTemplateToTerraform } from '@cdktf/provider-kubernetes/lib/stateful-set-v1';

/** What the generated bindings pass to TerraformResource (their constructors, provider 2.38.0). */
const GENERATOR = { providerName: 'kubernetes', providerVersion: '2.38.0', providerVersionConstraint: '~> 2.0' };

/** Fields whose value is a map: its keys are names (label keys), not attributes. */
const MAPS = new Set(['labels', 'annotations', 'matchLabels']);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A block in Terraform's form: attribute names in snake case, maps kept, tokens left to cdktf, and
 * a pod template through the StatefulSet binding's converter.
 */
function toTerraform(value: unknown, template: (t: unknown) => unknown): unknown {
  if (value === null || typeof value !== 'object' || Tokenization.isResolvable(value)) return value;
  if (Array.isArray(value)) return value.map((v) => toTerraform(v, template));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [snake(k), MAPS.has(k) ? v : k === 'template' ? template(v) : toTerraform(v, template)]),
  );
}

const podTemplate = (t: unknown) => statefulSetV1SpecTemplateToTerraform(t as never);

/** A Job's pod template: the same, whose metadata has no namespace. */
function jobTemplate(t: unknown): unknown {
  if ((t as { metadata?: { namespace?: string } } | undefined)?.metadata?.namespace !== undefined)
    throw new Error("a Job's pod template takes no metadata.namespace");
  return podTemplate(t);
}

type WorkloadConfig = DeploymentV1Config | JobV1Config | CronJobV1Config;

/**
 * What the three have in common: the meta-arguments passed on as the generated constructors pass
 * them, `metadata.internalValue` as the bindings expose it (constructs/render/labels.ts reads it),
 * and metadata, spec and timeouts converted with the pod template's converter.
 */
abstract class Workload<C extends WorkloadConfig> extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    type: string,
    protected readonly config: C,
    private readonly template: (t: unknown) => unknown,
  ) {
    super(scope, id, {
      terraformResourceType: type,
      terraformGeneratorMetadata: GENERATOR,
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach,
    });
  }
  get metadata() {
    return { internalValue: this.config.metadata };
  }
  /** The resource's own top-level arguments (`wait_for_rollout`, `wait_for_completion`). */
  protected abstract flags(): Record<string, unknown>;
  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      id: c.id,
      ...this.flags(),
      metadata: toTerraform(c.metadata, this.template),
      spec: toTerraform(c.spec, this.template),
      timeouts: toTerraform(c.timeouts, this.template),
    };
  }
}

export class DeploymentV1 extends Workload<DeploymentV1Config> {
  static readonly tfResourceType = 'kubernetes_deployment_v1';
  constructor(scope: Construct, id: string, config: DeploymentV1Config) {
    super(scope, id, DeploymentV1.tfResourceType, config, podTemplate);
  }
  protected flags() {
    return { wait_for_rollout: this.config.waitForRollout };
  }
}

export class JobV1 extends Workload<JobV1Config> {
  static readonly tfResourceType = 'kubernetes_job_v1';
  constructor(scope: Construct, id: string, config: JobV1Config) {
    super(scope, id, JobV1.tfResourceType, config, jobTemplate);
  }
  protected flags() {
    return { wait_for_completion: this.config.waitForCompletion };
  }
}

export class CronJobV1 extends Workload<CronJobV1Config> {
  static readonly tfResourceType = 'kubernetes_cron_job_v1';
  constructor(scope: Construct, id: string, config: CronJobV1Config) {
    super(scope, id, CronJobV1.tfResourceType, config, jobTemplate);
  }
  protected flags() {
    return {};
  }
}

/** The generated bindings these classes stand in for, loaded on demand (for the tests that compare them). */
export async function generatedWorkloadBindings() {
  const [deployment, job, cronJob] = await Promise.all([
    import('@cdktf/provider-kubernetes/lib/deployment-v1'),
    import('@cdktf/provider-kubernetes/lib/job-v1'),
    import('@cdktf/provider-kubernetes/lib/cron-job-v1'),
  ]);
  return { DeploymentV1: deployment.DeploymentV1, JobV1: job.JobV1, CronJobV1: cronJob.CronJobV1 };
}
