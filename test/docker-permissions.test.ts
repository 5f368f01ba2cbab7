/**
 * Every process on the Docker target can read its files, and every job can delete its secret files
 * when it ends, proven from the synthesized containers alone (their `user`, `group_add` and uploads,
 * owned and moded as the pinned provider writes them: test/file-access.ts). The same proof rejects
 * what the renderer used to write (no user, so the image's; a secrets directory created 0755).
 * `npm run verify` runs the job wrappers for real, as those users, on files made that way.
 */
import { describe, expect, it } from 'vitest';
import { containerAddress, jobAddress } from '../constructs/targets/docker/addressing';
import { prepare } from '../stacks/pipeline';
import { accessProblems, deleteProblem, identityOf, readProblem, uploadedEntries, type Identity } from './file-access';
import { env, synth, variant } from './helpers';
import type { Environment } from '../environments/parse/load';

const isSecret = (content: string) => /\$\{random_(password|bytes)\.[^}]+\}/.test(content);

const environments: [string, Environment][] = [
  ['development', env('development')],
  ['development with MinIO', prepare(variant('development', (i) => (i.services.objectstore = { engine: 'minio' })))],
];

function workloads(e: Environment) {
  const tf = synth(e).tf.resource.docker_container!;
  return e.specs.flatMap((spec) => [
    ...spec.containers.map((c) => ({
      address: containerAddress(spec.name, c.name),
      job: false,
      w: c,
      rc: tf[containerAddress(spec.name, c.name)],
    })),
    ...spec.jobs.map((j) => ({ address: jobAddress(spec.name, j.name), job: true, w: j, rc: tf[jobAddress(spec.name, j.name)] })),
  ]);
}

const dropped = (user: string): Identity => {
  const [uid, gid] = user.split(':').map(Number);
  return { uid: uid!, gid: gid!, groups: [] };
};

describe.each(environments)('%s: who reads and deletes what', (_, e) => {
  const all = workloads(e);

  it('covers containers, jobs with secret files and containers that start as root', () => {
    expect(all.filter((x) => x.job && x.rc.upload.some((u: any) => isSecret(u.content ?? ''))).length).toBeGreaterThanOrEqual(2);
    expect(all.some((x) => x.w.startsAsRoot)).toBe(true);
  });

  it.each(all.map((x) => [x.address, x] as const))('%s: every process reads its files; a job deletes its secret files', (_, x) => {
    expect(x.rc, x.address).toBeDefined();
    const problems = accessProblems(x.rc, {
      isSecret,
      job: x.job,
      // Its entrypoint reads the secret files as root, then drops to the spec's user.
      ...(x.w.startsAsRoot ? { dropsTo: dropped(x.w.user) } : {}),
    });
    expect(problems).toEqual([]);
  });
});

describe('the proof rejects what does not work on a fresh host', () => {
  const tf = synth(env('development')).tf.resource.docker_container!;
  const garage = tf.garage_job_setup;
  const es = tf['elasticsearch_job_setup-security'];
  const job = (rc: any) => accessProblems(rc, { isSecret, job: true });

  it('a job without a user (the image decides: curl_user for Garage)', () => {
    const { user: _, group_add: __, ...imageUser } = garage;
    expect(job(imageUser)).toEqual(['user is not set (the image decides)']);
    // As curl_user (100:101), outside the root group, with /run/secrets created 0755 (what 3.6.2 did
    // before): the 0440 secrets cannot be read. With the 0770 directory, it cannot even search it.
    const before = { ...garage, user: '100:101', group_add: undefined, upload: garage.upload.filter((u: any) => !u.file.endsWith('/')) };
    expect(job(before).join('\n')).toMatch(/cannot read \/run\/secrets\/garage-admin-token \(0440 0:0\)/);
    expect(job({ ...garage, user: '100:101', group_add: undefined }).join('\n')).toMatch(/cannot search \/run\/secrets \(0770 0:0\)/);
  });

  it('a job whose secrets directory is created 0755 (no directory entry): reads, cannot delete', () => {
    const without = { ...es, upload: es.upload.filter((u: any) => !u.file.endsWith('/')) };
    const problems = job(without);
    expect(problems.every((p) => /cannot delete \/run\/secrets\/.*no upload creates \/run\/secrets/.test(p))).toBe(true);
    expect(problems).toHaveLength(4);
    // With the directory created 0755 root:root and no capability, even uid 0 could not pass group 0's check: only root owns it.
    expect(
      deleteProblem(uploadedEntries(without), '/run/secrets/elasticsearch-admin-password', { uid: 1000, gid: 0, groups: [0] }),
    ).toMatch(/no upload creates/);
  });

  it('a wrapper that leaves a secret file behind', () => {
    const entry = [...garage.entrypoint];
    entry[2] = entry[2].replace(' /run/secrets/garage-admin-token', '');
    expect(job({ ...garage, entrypoint: entry }).join('\n')).toMatch(/the wrapper removes/);
  });

  it("the rules are the kernel's: owner class first, then group, then other; search on every directory", () => {
    const entries = uploadedEntries({
      upload: [
        { file: '/run/secrets/', permissions: '0770' },
        { file: '/run/secrets/a', permissions: '0440' },
        { file: '/etc/app/b', permissions: '0044' },
      ],
    });
    const root: Identity = { uid: 0, gid: 0, groups: [] };
    const member: Identity = { uid: 1000, gid: 1000, groups: [0] };
    const stranger: Identity = { uid: 1000, gid: 1000, groups: [] };
    expect(readProblem(entries, '/run/secrets/a', member)).toBeUndefined();
    expect(readProblem(entries, '/run/secrets/a', stranger)).toMatch(/cannot search \/run\/secrets/);
    // The owner class applies to the owner even where the group or other class would allow more.
    expect(readProblem(entries, '/etc/app/b', root)).toMatch(/cannot read/);
    expect(readProblem(entries, '/etc/app/b', stranger)).toBeUndefined();
    expect(deleteProblem(entries, '/run/secrets/a', member)).toBeUndefined();
    expect(deleteProblem(entries, '/etc/app/b', root)).toMatch(/no upload creates \/etc\/app/);
    expect(identityOf({ user: 'elasticsearch' })).toMatch(/not a numeric uid:gid/);
  });
});
