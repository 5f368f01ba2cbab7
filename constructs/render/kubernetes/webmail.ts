/**
 * Roundcube on a cluster: the default Deployment (workload.ts), with the CA of its PostgreSQL's
 * server certificate at ROUNDCUBE_DB_TRUST where there is one (server-ca.ts, `verifyingServer`), so
 * its configuration connects with sslmode=verify-full (services/mail.ts, `roundcubeConfig`): outside
 * the cluster with a published CA (RDS), the pod downloads it before Roundcube starts; in the
 * cluster with internal TLS (PostgreSQL in the data namespace), the internal CA from ConfigMap
 * `internal-ca` in the mail namespace, mounted read-only.
 */
import type { WebmailFacet } from '../../services/mail';
import type { Realization } from './context';
import { verifyingServer } from './server-ca';
import { Workload, ownResources } from './workload';

const base = ownResources(
  "Roundcube is one stateless PHP container (its data in PostgreSQL, or SQLite on its volume); the roundcube/roundcubemail image has no chart of its own, and the mail server's CA (where the platform's own) is mounted from its certificate Secret; Roundcube verifies its database against the RDS CA bundle an init step downloads (RDS), or against the internal CA from ConfigMap internal-ca in its namespace (in-cluster PostgreSQL with internal TLS).",
);

export const webmail: Realization<WebmailFacet> = {
  ...base,
  render: (scope, ctx, spec, dependsOn) => {
    const ca = spec.facet.databaseCa;
    if (!ca) return new Workload(scope, spec.name, ctx, spec, dependsOn).realized;
    const v = verifyingServer(ctx, spec, 'postgres', ca);
    return new Workload(scope, spec.name, ctx, v.spec, dependsOn, v.options).realized;
  },
};
