/**
 * PostgreSQL as RDS PostgreSQL: the configured engine version (its own setting: the in-cluster
 * image's tag does not move the managed database; a new major needs `allowMajorVersionUpgrade`,
 * docs/operations.md), Multi-AZ (profile), gp3 storage
 * encrypted with the data key and autoscaling up to a ceiling, deletion protection and a final
 * snapshot (protectData), automated backups, Performance Insights, control logs to CloudWatch.
 * The parameter group carries the same tuning every other target writes into postgresql.conf, plus
 * `rds.force_ssl`. The master password is created and rotated by RDS in Secrets Manager
 * (`manage_master_user_password`): Terraform never sees it, and only the roles job reads it (its own
 * Pod Identity role, admin-jobs.ts). Each consumer (an application of the environment, or Roundcube)
 * gets a role of its own owning its database, created by that job with a password generated here
 * (the same secret the in-cluster PostgreSQL would use), and finds it in its own namespace.
 */
import type { Construct } from '../../providers/cdktf';
import { DbInstance, DbParameterGroup, DbSubnetGroup, SecretsmanagerSecretRotation } from '../../providers/aws';
import { type PostgresApplication, type PostgresFacet, managedRolesScript, passwordApplications } from '../../services/postgres';
import { imageName } from '../../spec/image';
import { secretRef } from '../../spec/template';
import { pinAddress } from '../terraform';
import { type ManagedRenderer, clientOnlyGroup, dataVolume, gibOf, useDataKey } from './managed';
import { CA_DIR } from './admin-jobs';
import { HOURS_PER_MONTH } from '../../targets/aws/prices';

/** Days between rotations of the RDS-managed master password (RDS's own default is 7). */
export const MASTER_PASSWORD_ROTATION_DAYS = 7;

export const POSTGRES_PORT = 5432;

/**
 * The RDS certificate bundle of every region (RDS user guide, "Using SSL/TLS to encrypt a connection
 * to a DB instance or cluster", "Certificate bundles for all AWS Regions"). The roles job downloads
 * it on each run (over HTTPS verified against the curl image's CAs) and connects with
 * sslmode=verify-full; the applications are told the same (`sslmode: verify-full`,
 * `sslrootcert-url`) and take it from their image or an init step (docs/operations.md).
 */
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/** The bundle's file name in the roles job's CA volume. */
export const RDS_CA_FILE = 'rds-global-bundle.pem';

/** The IAM policy statement id of a consumer's `rds-db:connect` (letters and digits only). */
export const rdsConnectSid = (role: string) =>
  `RdsConnectAs${role
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

export const postgres: ManagedRenderer<'postgres', PostgresFacet> = {
  title: 'RDS PostgreSQL',
  reusesSecrets: [],
  summarize(resources) {
    const db = resources.aws_db_instance?.postgres;
    if (!db) throw new Error('the stack has no aws_db_instance.postgres');
    const az = db.multi_az ? 'multi-az' : 'single-az';
    const gib = Number(db.allocated_storage);
    return {
      what: `${db.engine} ${db.engine_version} on ${db.instance_class}${db.multi_az ? ', Multi-AZ (a standby in another zone)' : ''}, ${gib} GiB ${db.storage_type} (grows to ${db.max_allocated_storage ?? gib} GiB)`,
      billables: [
        {
          item: `rds:${db.instance_class}:${db.engine}:${az}`,
          label: `RDS ${db.instance_class} ${az}`,
          quantity: HOURS_PER_MONTH,
          unit: 'hour',
        },
        {
          item: `rds:storage:${db.storage_type}:${az}`,
          label: `RDS ${db.storage_type} storage, ${gib} GB`,
          quantity: gib,
          unit: 'GB-month',
        },
      ],
      storageGiB: gib,
    };
  },
  render(scope: Construct, inputs, spec, config) {
    const { ctx, keys } = inputs;
    const pg = spec.facet;
    const version = config.engineVersion;
    const major = version.split('.')[0]!;
    const t = pg.tuning;
    const kib = (bytes: number) => String(Math.floor(bytes / 1024));
    const pages = (bytes: number) => String(Math.floor(bytes / 8192)); // 8 kB pages
    const parameters: { name: string; value: string; applyMethod: 'immediate' | 'pending-reboot' }[] = [
      { name: 'max_connections', value: String(t.maxConnections), applyMethod: 'pending-reboot' },
      { name: 'shared_buffers', value: pages(t.sharedBuffersBytes), applyMethod: 'pending-reboot' },
      { name: 'effective_cache_size', value: pages(t.effectiveCacheSizeBytes), applyMethod: 'immediate' },
      { name: 'work_mem', value: kib(t.workMemBytes), applyMethod: 'immediate' },
      { name: 'maintenance_work_mem', value: kib(t.maintenanceWorkMemBytes), applyMethod: 'immediate' },
      { name: 'log_min_duration_statement', value: String(t.logMinDurationStatementMs), applyMethod: 'immediate' },
      { name: 'password_encryption', value: 'scram-sha-256', applyMethod: 'immediate' },
      { name: 'shared_preload_libraries', value: 'pg_stat_statements', applyMethod: 'pending-reboot' },
      { name: 'rds.force_ssl', value: '1', applyMethod: 'immediate' },
    ];
    const name = ctx.name('postgres');
    const params = pinAddress(
      new DbParameterGroup(scope, 'postgres-params', {
        name: `${name}-${major}`,
        family: `postgres${major}`,
        description: `${name}: tuning from services.postgres.tuning`,
        parameter: parameters,
        tags: ctx.tags(name),
        // A new major needs a new group; create it before the old one goes.
        lifecycle: { createBeforeDestroy: true },
      }),
      'postgres',
    );
    const subnets = pinAddress(
      new DbSubnetGroup(scope, 'postgres-subnets', { name, subnetIds: inputs.network.privateSubnetIds, tags: ctx.tags(name) }),
      'postgres',
    );
    const sg = clientOnlyGroup(scope, inputs, 'postgres', [POSTGRES_PORT]);
    const storage = gibOf(dataVolume(spec).size, 20);
    const protect = ctx.protectData;
    const db = pinAddress(
      new DbInstance(scope, 'postgres', {
        identifier: name,
        engine: 'postgres',
        // A major ('18'): AWS applies minor upgrades in the maintenance window and the provider
        // accepts the running 18.x. A pinned minor ('18.3') is not upgraded behind the config's back.
        engineVersion: version,
        autoMinorVersionUpgrade: !version.includes('.'),
        // Without it RDS refuses a changed major at apply; with it the upgrade runs in the next
        // maintenance window (applyImmediately is off), with the new major's parameter group.
        allowMajorVersionUpgrade: config.allowMajorVersionUpgrade,
        instanceClass: config.instanceClass,
        multiAz: config.multiAz ?? ctx.highAvailability,
        dbName: pg.database,
        username: pg.owner,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: keys.data.arn,
        allocatedStorage: storage,
        maxAllocatedStorage: config.maxStorageGiB ?? storage * 4,
        storageType: 'gp3',
        storageEncrypted: true,
        kmsKeyId: keys.data.arn,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [sg.id],
        publiclyAccessible: false,
        parameterGroupName: params.name,
        backupRetentionPeriod: config.backupRetentionDays,
        backupWindow: '02:00-03:00',
        maintenanceWindow: 'sun:03:30-sun:04:30',
        copyTagsToSnapshot: true,
        deletionProtection: protect,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${name}-final`,
        // On when a consumer logs in with IAM tokens (`auth: 'iam'`); in place, the instance stays.
        iamDatabaseAuthenticationEnabled: pg.applications.some((a) => a.auth === 'iam'),
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: keys.data.arn,
        performanceInsightsRetentionPeriod: 7,
        enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
        applyImmediately: false,
        // AWS Backup's daily, weekly and monthly copies, beside RDS's own point-in-time recovery.
        tags: ctx.tags(name, ctx.backupTags()),
        lifecycle: { preventDestroy: protect },
      }),
      'postgres',
    );
    const secretArn = db.masterUserSecret.get(0).secretArn;
    // The master password RDS keeps in Secrets Manager rotates on this schedule (RDS's managed
    // rotation: no Lambda); written, so the schedule is the stack's, not a console default.
    pinAddress(
      new SecretsmanagerSecretRotation(scope, 'postgres-master-rotation', {
        secretId: secretArn,
        rotationRules: { automaticallyAfterDays: MASTER_PASSWORD_ROTATION_DAYS },
        rotateImmediately: false,
      }),
      'postgres',
    );
    const host = db.address;
    const port = String(POSTGRES_PORT);
    // Each password role's password, generated as the in-cluster service's would be; an IAM role has none.
    const withPassword = passwordApplications(pg.applications);
    const passwords = Object.fromEntries(withPassword.map((a) => [a.secret, inputs.secrets.value(secretRef(spec.name, a.secret))]));
    const platformUsers = new Set((spec.consumers ?? []).filter((c) => c.platform !== undefined).map((c) => c.consumer));
    const image = spec.containers.find((c) => c.name === 'main') ?? spec.containers[0]!;
    // IAM authentication: the consumer's pods sign a token for their own role as RDS's database user
    // (`arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<role>`, RDS user guide, "Creating
    // and using an IAM policy for IAM database access"), over TLS that verifies the server.
    // Every application's endpoint: TLS that verifies the server, as in the cluster with internal TLS
    // (the CA: the RDS bundle).
    const appEndpoint = (a: PostgresApplication) => ({
      host,
      port,
      database: a.database,
      username: a.role,
      sslmode: 'verify-full',
      'sslrootcert-url': RDS_CA_BUNDLE_URL,
    });
    const iamApplication = (a: PostgresApplication) => ({
      consumer: a.consumer,
      endpoint: { ...appEndpoint(a), auth: 'iam', region: ctx.region },
      credentials: { username: a.role, auth: 'iam' },
      statements: [
        {
          Sid: rdsConnectSid(a.role),
          Effect: 'Allow' as const,
          Action: 'rds-db:connect',
          Resource: `arn:aws:rds-db:${ctx.region}:${ctx.accountId}:dbuser:${db.resourceId}/${a.role}`,
        },
      ],
    });
    return {
      endpoint: { host, port, sslmode: 'verify-full', 'sslrootcert-url': RDS_CA_BUNDLE_URL },
      applications: pg.applications
        .filter((a) => !platformUsers.has(a.consumer))
        .map((a) =>
          a.auth === 'iam'
            ? iamApplication(a)
            : {
                consumer: a.consumer,
                endpoint: appEndpoint(a),
                credentials: { username: a.role, password: passwords[a.secret]! },
              },
        ),
      references: {
        service: spec.name,
        host,
        secrets: passwords,
        ports: [POSTGRES_PORT],
        serverCa: { url: RDS_CA_BUNDLE_URL, file: RDS_CA_FILE },
      },
      adminJobs:
        pg.applications.length === 0
          ? []
          : [
              {
                name: 'postgres-roles',
                purpose: `creates the applications' roles and databases on ${name} as its master user (${pg.applications.map((a) => a.role).join(', ')})`,
                // The catalogue's PostgreSQL image: its psql, of the same major.
                image: imageName(image.image),
                script: managedRolesScript(pg.applications),
                // The server's certificate verified, its name included, against the RDS bundle the job downloads.
                env: {
                  PGHOST: host,
                  PGPORT: port,
                  PGDATABASE: pg.database,
                  PGSSLMODE: 'verify-full',
                  PGSSLROOTCERT: `${CA_DIR}/${RDS_CA_FILE}`,
                  PGCONNECT_TIMEOUT: '10',
                },
                serverCa: { url: RDS_CA_BUNDLE_URL, file: RDS_CA_FILE },
                // The password roles' passwords only: an IAM role gets none.
                inputs: Object.fromEntries(withPassword.map((a) => [a.consumer, passwords[a.secret]!])),
                master: {
                  secretArn,
                  statements: [
                    {
                      Sid: 'ReadPostgresMasterSecret',
                      Effect: 'Allow',
                      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
                      Resource: secretArn,
                    },
                    useDataKey(inputs),
                  ],
                },
                ports: [POSTGRES_PORT],
                timeoutSeconds: 600,
              },
            ],
      // The applications reach PostgreSQL with their own roles; those on IAM authentication through
      // their own Pod Identity role (`applications[].statements`), not the shared one.
      clientStatements: [],
    };
  },
};
