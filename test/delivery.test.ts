/**
 * The CI path: which stacks CI plans and deploys and with which credentials (stacks/delivery.ts),
 * the plan summary the comments show (scripts/ci/plan-summary.ts), the workflows' shape, and the
 * state backends an environment can choose (a cluster's own, or S3).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bootstrapOf, env, synth, variant, testApp } from './helpers';
import { IsolatedStack, synthOnce } from '../constructs/providers/cdktf';
import { configureBackend } from '../stacks/environment-stack';
import type { Environment } from '../environments/parse/load';
import { ciMatrix, ciStacks } from '../stacks/delivery';
import { prepare, prepareAll } from '../stacks/pipeline';
import { stateNotes } from '../stacks/warnings';
import { marker, planMarkdown, readPlan } from '../scripts/ci/plan-summary';
import { workflowFiles } from '../scripts/ci/actionlint';

const b = bootstrapOf();

describe('which stacks CI plans and deploys, from the environments', () => {
  const stacks = ciStacks([env('development'), env('staging'), env('production')], b);
  const of = (name: string) => stacks.find((s) => s.stack === name)!;

  it('every environment and the bootstrap, Kubernetes before AWS', () => {
    expect(stacks.map((s) => s.stack)).toEqual(['staging', 'production', 'development', 'bootstrap']);
  });

  it('production: the plan role for plans, the deploy role for deploys, in its account and region', () => {
    expect(of('production')).toMatchObject({
      plan: true,
      deploy: true,
      aws: {
        account: '111122223333',
        region: 'eu-west-1',
        planRole: 'arn:aws:iam::111122223333:role/platform-plan',
        deployRole: 'arn:aws:iam::111122223333:role/platform-deploy',
      },
    });
  });

  it('staging: its kubeconfig secrets, written where the environment file says; S3 state adds the AWS roles', () => {
    expect(of('staging').kubernetes).toEqual({
      kubeconfigPath: '~/.kube/config',
      planSecret: 'KUBECONFIG_STAGING',
      deploySecret: 'KUBECONFIG',
    });
    expect(of('staging').aws?.planRole).toBe('arn:aws:iam::111122223333:role/platform-plan');
    const inCluster = prepare(variant('staging', (i) => (i.backend = { kind: 'kubernetes' })));
    expect(ciStacks([inCluster], b)[0]!.aws).toBeUndefined();
  });

  it('not from CI, each with why: a Docker host, a cluster behind a credential plugin, another account, a local bootstrap', () => {
    expect(of('development')).toMatchObject({ plan: false, deploy: false, why: expect.stringMatching(/Docker host/) });
    const exec = prepare(
      variant('staging', (i) => {
        i.target.cluster = {
          auth: 'exec',
          host: 'https://203.0.113.10:6443',
          caCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
          exec: { command: 'gke-gcloud-auth-plugin' },
        };
        i.backend = { kind: 'kubernetes' };
      }),
    );
    expect(ciStacks([exec], b)[0]).toMatchObject({
      plan: false,
      why: expect.stringMatching(/credential plugin \(gke-gcloud-auth-plugin\)/),
    });
    const other = prepare(variant('production', (i) => ((i.target.accountId = '444455556666'), (i.backend = { kind: 'local' }))));
    expect(ciStacks([other], b)[0]!.why).toMatch(/no CI roles for account 444455556666/);
    const elsewhere = prepare(variant('production', (i) => (i.backend.bucket = 'elsewhere-state')));
    expect(ciStacks([elsewhere], b)[0]!.why).toMatch(/its state is in s3:\/\/elsewhere-state, which no bootstrap's CI roles may read/);
    expect(of('bootstrap')).toMatchObject({ plan: false, deploy: false });
    expect(
      ciStacks(
        [],
        bootstrapOf((i) => (i.backend = { kind: 's3' })),
      )[0],
    ).toMatchObject({ stack: 'bootstrap', plan: true, deploy: false });
  });

  it('the matrix is flat strings, one row per stack to plan (or deploy)', () => {
    const plan = ciMatrix(stacks, 'plan');
    expect(plan.include.map((x) => x.stack)).toEqual(['staging', 'production']);
    for (const row of plan.include) for (const v of Object.values(row)) expect(typeof v).toBe('string');
    expect(ciMatrix(stacks, 'deploy').include.find((x) => x.stack === 'production')!.aws_role).toBe(
      'arn:aws:iam::111122223333:role/platform-deploy',
    );
  });
});

describe('the plan summary (terraform show -json)', () => {
  const change = (address: string, actions: string[], extra: object = {}) => ({ address, mode: 'managed', change: { actions, ...extra } });
  const plan = JSON.stringify({
    format_version: '1.2',
    resource_changes: [
      change('aws_vpc.main', ['create']),
      change('aws_subnet.a', ['update']),
      change('aws_eip.old', ['delete']),
      change('aws_eks_node_group.system_a', ['create', 'delete'], { replace_paths: [['instance_types']] }),
      change('aws_db_instance.postgres', ['delete', 'create'], { replace_paths: [['engine'], ['storage_type']] }),
      change('aws_iam_role.same', ['no-op']),
      { address: 'data.aws_caller_identity.me', mode: 'data', change: { actions: ['read'] } },
    ],
  });
  const reading = readPlan(plan);

  it('counts as Terraform does: a replacement adds one and destroys one', () => {
    expect(reading.counts).toEqual({ add: 3, change: 1, destroy: 3, replace: 2 });
  });

  it('names every replacement with its order and the attributes forcing it, and every destroy and change', () => {
    const md = planMarkdown('production', reading);
    expect(md.split('\n')[0]).toBe(marker('production'));
    expect(md).toContain('### `production`: 3 to add, 1 to change, 3 to destroy (2 replaced)');
    expect(md).toContain('- `aws_eks_node_group.system_a` (the new one is created first), forced by `instance_types`');
    expect(md).toContain('- `aws_db_instance.postgres` (**destroyed first**), forced by `engine`, `storage_type`');
    expect(md).toContain('**Destroyed** (1):\n- `aws_eip.old`');
    expect(md).toContain('**Changed in place** (1):\n- `aws_subnet.a`');
    expect(md).toContain('<summary>Added (1)</summary>');
    expect(md).not.toContain('aws_iam_role.same');
  });

  it('says "no changes" for an empty plan, and refuses what is not a plan', () => {
    expect(planMarkdown('staging', readPlan(JSON.stringify({ format_version: '1.2', resource_changes: [] })))).toContain(
      '### `staging`: no changes',
    );
    expect(() => readPlan('{}')).toThrow(/not the output of terraform show -json/);
  });
});

describe('the workflows', () => {
  const files = workflowFiles();
  const workflows = new Map(
    files.map((f) => [path.basename(f), { text: fs.readFileSync(f, 'utf8'), yaml: parse(fs.readFileSync(f, 'utf8')) }]),
  );

  it('are the checks, the pull-request plan, the deploy and the drift check', () => {
    expect([...workflows.keys()]).toEqual(['checks.yml', 'deploy.yml', 'drift.yml', 'pr.yml']);
  });

  it('pin every action to a commit, with its version beside it; local workflows exist', () => {
    for (const [name, w] of workflows) {
      const uses = [...w.text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length, name).toBeGreaterThan(0);
      for (const [, ref, rest] of uses) {
        if (ref!.startsWith('./')) expect(fs.existsSync(path.join(import.meta.dirname, '..', ref!)), ref).toBe(true);
        else {
          expect(ref, `${name}: ${ref}`).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
          expect(rest, `${name}: ${ref}`).toMatch(/^ # v\d+\.\d+\.\d+$/);
        }
      }
    }
  });

  it('turn off cdktf and Terraform checkpoint calls, and grant only contents: read by default', () => {
    for (const [name, w] of workflows) {
      expect(w.yaml.env?.CHECKPOINT_DISABLE, name).toBe('1');
      expect(w.yaml.permissions, name).toEqual({ contents: 'read' });
    }
  });

  it('plan the stacks the environments list (a matrix from scripts/ci/stacks.ts), never a list typed in the workflow', () => {
    for (const [name, job] of [
      ['pr.yml', 'plan'],
      ['deploy.yml', 'deploy'],
      ['drift.yml', 'drift'],
    ] as const) {
      const w = workflows.get(name)!.yaml;
      expect(w.jobs[job].strategy.matrix, name).toBe('${{ fromJSON(needs.stacks.outputs.matrix) }}');
      expect(JSON.stringify(w.jobs.stacks.steps), name).toContain('scripts/ci/stacks.ts');
    }
  });

  it('pull requests: forks get the checks only; the plan job may comment and ask for an OIDC token, nothing more', () => {
    const pr = workflows.get('pr.yml')!.yaml;
    expect(pr.on).toEqual({ pull_request: null });
    expect(pr.jobs.checks.uses).toBe('./.github/workflows/checks.yml');
    expect(pr.jobs.stacks.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
    expect(pr.jobs.plan.needs).toEqual(['checks', 'stacks']);
    expect(pr.jobs.plan.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    const plan = JSON.stringify(pr.jobs.plan.steps);
    expect(plan).toContain('-lock=false');
    expect(plan).toContain('-lockfile=readonly');
    expect(plan).toContain('scripts/ci/plan-summary.ts');
    expect(plan).toContain('updateComment');
  });

  it('deploy: main only, after the checks, in the GitHub environment of the stack, one at a time, OIDC only, plan in the summary', () => {
    const d = workflows.get('deploy.yml')!.yaml;
    expect(d.on.push).toEqual({ branches: ['main'] });
    const job = d.jobs.deploy;
    expect(job.needs).toEqual(['checks', 'stacks']);
    expect(job.if).toContain("github.ref == 'refs/heads/main'");
    expect(job.environment).toBe('${{ matrix.stack }}');
    expect(job.concurrency).toEqual({ group: 'deploy-${{ matrix.stack }}', 'cancel-in-progress': false });
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(job.strategy['max-parallel']).toBe(1);
    const steps = JSON.stringify(job.steps);
    expect(steps).toContain('npx cdktf deploy \\"$STACK\\" --auto-approve');
    expect(steps).toContain('GITHUB_STEP_SUMMARY');
    expect(workflows.get('deploy.yml')!.text).not.toMatch(/AWS_ACCESS_KEY_ID|aws-access-key-id|AWS_SECRET/);
  });

  it('drift: on a schedule, failing when the plan has changes', () => {
    const d = workflows.get('drift.yml')!.yaml;
    expect(d.on.schedule[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
    const steps = JSON.stringify(d.jobs.drift.steps);
    expect(steps).toContain('-detailed-exitcode');
    expect(steps).toContain('-eq 2 ]; then');
    expect(steps).toContain('::error::$STACK has drifted');
  });
});

/** The backend block an environment's stack gets (the stack's own test above: the whole stack). */
function backendOf(e: Environment): any {
  const stack = new IsolatedStack(testApp(), e.name);
  configureBackend(stack, e.name, e.backend, e.target, 'cdktf.out');
  return synthOnce(stack).tf.terraform.backend;
}

describe("the state backend: the cluster's own, or S3, by config", () => {
  it('a Kubernetes environment keeps its state in a Secret of its own cluster, reached as its providers reach it', () => {
    const e = prepare(variant('staging', (i) => (i.backend = { kind: 'kubernetes' })));
    expect(synth(e).tf.terraform.backend).toEqual({
      kubernetes: {
        secret_suffix: 'staging',
        namespace: 'terraform-state',
        labels: { 'platform/environment': 'staging' },
        config_path: '~/.kube/config',
        config_context: 'agent-platform-staging',
      },
    });
  });

  it('through a credential plugin or a token: the API server, its CA and the plugin; never a token', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const exec = prepare(
      variant('staging', (i) => {
        i.target.cluster = {
          auth: 'exec',
          host: 'https://203.0.113.10:6443',
          caCertificate: ca,
          exec: { command: 'aws', args: ['eks', 'get-token'] },
        };
        i.backend = { kind: 'kubernetes', namespace: 'tf', secretSuffix: 'stg' };
      }),
    );
    expect(backendOf(exec).kubernetes).toMatchObject({
      secret_suffix: 'stg',
      namespace: 'tf',
      host: 'https://203.0.113.10:6443',
      cluster_ca_certificate: ca,
      exec: { api_version: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token'] },
    });
    const token = prepare(
      variant('staging', (i) => {
        i.target.cluster = { auth: 'token', host: 'https://203.0.113.10:6443', caCertificate: ca };
        i.backend = { kind: 'kubernetes' };
      }),
    );
    const backend = backendOf(token).kubernetes;
    expect(backend.host).toBe('https://203.0.113.10:6443');
    expect(JSON.stringify(backend)).not.toMatch(/token/);
  });

  it('on AWS or Docker, only with a cluster named (the stack cannot keep its state in a cluster it creates)', () => {
    expect(() => prepare(variant('production', (i) => (i.backend = { kind: 'kubernetes' })))).toThrow(
      /backend\.cluster: must name an existing cluster to keep the state in: this stack creates its own cluster/,
    );
    expect(() => prepare(variant('development', (i) => (i.backend = { kind: 'kubernetes' })))).toThrow(
      /backend\.cluster: must say how to reach the cluster that holds the state/,
    );
    const docker = prepare(
      variant('development', (i) => (i.backend = { kind: 'kubernetes', cluster: { auth: 'kubeconfig', context: 'ops' } })),
    );
    expect(backendOf(docker).kubernetes.config_context).toBe('ops');
  });

  it('two environments on one state Secret are refused, naming the first', () => {
    const a = variant('staging', (i) => (i.backend = { kind: 'kubernetes', secretSuffix: 'shared' }));
    const other = variant(
      'staging',
      (i) => ((i.name = 'qa'), (i.backend = { kind: 'kubernetes', secretSuffix: 'shared' })),
      'environments/qa.ts',
    );
    expect(() => prepareAll([a, other])).toThrow(
      /environments\/qa\.ts: backend\.secretSuffix: state kubernetes agent-platform-staging@~\/\.kube\/config secret terraform-state\/tfstate-default-shared is already used by test\/fixtures\/staging\.ts/,
    );
  });

  it('a note when the kubeconfig the state is reached through is not on this machine (Terraform would try localhost)', () => {
    const e = prepare(variant('staging', (i) => (i.backend = { kind: 'kubernetes' })));
    expect(stateNotes(e, () => false)[0]).toMatch(
      /~\/\.kube\/config does not exist here: `cdktf diff staging` would fail with a refused connection to localhost/,
    );
    expect(stateNotes(e, () => true)).toEqual([]);
    expect(stateNotes(env('staging'), () => false)).toEqual([]);
  });

  it('an S3 state key names its KMS key as the backend reads one', () => {
    expect(() => prepare(variant('production', (i) => (i.backend.kmsKeyId = 'my key')))).toThrow(
      /backend\.kmsKeyId: must be a KMS key or alias/,
    );
  });
});

describe('the EKS plan role', () => {
  it('view roles get read access through an access entry (AmazonEKSAdminViewPolicy), and a role gets one entry', () => {
    const e = prepare(variant('production', (i) => (i.target.eks.viewRoleArns = ['arn:aws:iam::111122223333:role/platform-plan'])));
    const tf: any = synth(e).tf;
    expect(tf.resource.aws_eks_access_entry['view_platform-plan'].principal_arn).toBe('arn:aws:iam::111122223333:role/platform-plan');
    expect(tf.resource.aws_eks_access_policy_association['view_platform-plan'].policy_arn).toBe(
      'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy',
    );
    expect(() =>
      prepare(variant('production', (i) => (i.target.eks.viewRoleArns = ['arn:aws:iam::111122223333:role/platform-deploy']))),
    ).toThrow(/target\.eks\.viewRoleArns\[0\]: role name platform-deploy is also in adminRoleArns/);
  });
});
