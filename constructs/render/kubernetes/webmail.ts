/**
 * Roundcube on a cluster: the default Deployment (workload.ts), and where its PostgreSQL is outside
 * the cluster with a published CA (RDS), the pod downloads that CA before Roundcube starts
 * (server-ca.ts), so its configuration connects with sslmode=verify-full (services/mail.ts,
 * `roundcubeConfig`).
 */
import type { WebmailFacet } from '../../services/mail';
import type { Realization } from './context';
import { verifyingServer } from './server-ca';
import { Workload, ownResources } from './workload';

const base = ownResources(
  "Roundcube is one stateless PHP container (its data in PostgreSQL, or SQLite on its volume); the roundcube/roundcubemail image has no chart of its own, and the mail server's CA (where the platform's own) is mounted from its certificate Secret; on RDS an init step downloads the RDS CA bundle, which Roundcube verifies the database with.",
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
