/**
 * Why every pinned image is at its version, keyed by repository. docs/services.md is generated from
 * this table, and a test fails when a pinned image has no entry (a new pin must say why).
 * Sources: the research notes behind issue 5 (official-images tag lists, upstream release notes and
 * security advisories, as of November 2026).
 */
export interface PinReason {
  /** Why this version, in one sentence. */
  readonly why: string;
  /** Support status of the series. */
  readonly support: string;
}

export const PIN_REASONS: Readonly<Record<string, PinReason>> = {
  nats: {
    why: 'Newest patch of 2.14, the line the NATS chart targets; 2.10 stopped getting images in May 2025 and misses the March 2026 CVE fixes.',
    support: 'NATS patches the latest minor and the one before (2.15 and 2.14).',
  },
  'natsio/prometheus-nats-exporter': { why: 'Newest release with a changelog; the NATS chart 2.14.2 default.', support: 'maintained' },
  redis: {
    why: 'Newest 7.4 patch: fixes the July 2026 stream-RESTORE use-after-free (RCE) and the August 2026 security release.',
    support: '7.4 is supported until 1 December 2029.',
  },
  'oliver006/redis_exporter': {
    why: 'Newest release evidenced by digest pins; the -alpine tag has a shell for the health check.',
    support: 'maintained',
  },
  'qdrant/qdrant': {
    why: 'Newest release, unprivileged build (uid 1000) so both targets run it non-root. Existing data must step through every minor.',
    support: '1.x maintained',
  },
  neo4j: { why: 'Newest patch of the 5.26 LTS line (Community).', support: '5.26 LTS is supported until June 2028.' },
  postgres: {
    why: 'PostgreSQL 18: the longest support and the CloudNativePG default operand; a major change from 15 needs pg_upgrade or dump and restore.',
    support: '18 is supported until November 2030.',
  },
  'quay.io/prometheuscommunity/postgres-exporter': {
    why: 'Newest release; reads its password from DATA_SOURCE_PASS_FILE.',
    support: 'maintained',
  },
  rabbitmq: {
    why: '4.3 is the only series in community support; upgrades in place only from 4.2 (4.0 -> 4.1 -> 4.2 -> 4.3).',
    support: 'Community support covers the latest minor only.',
  },
  'dxflrs/garage': {
    why: 'Newest release of the maintained S3 engine chosen to replace MinIO (multi-arch image; the chart default is amd64 only).',
    support: 'maintained (AGPL-3.0), a minor release about every quarter',
  },
  'curlimages/curl': {
    why: "The curl project's own image, newest release: runs the Garage setup script (sh, awk, curl).",
    support: 'maintained',
  },
  'quay.io/minio/minio': {
    why: 'The last official MinIO image; kept selectable only. It predates the fix for CVE-2025-62506.',
    support: 'Archived upstream (April 2026): no further images.',
  },
  'quay.io/minio/mc': { why: 'The last official mc image, paired with the server above.', support: 'Archived upstream.' },
  'docker.elastic.co/elasticsearch/elasticsearch': {
    why: 'Current 8.19 patch: 8.17.2 was affected by ESA-2025-07 (fixed 8.17.6) and ESA-2026-19 (fixed 8.19.12).',
    support: '8.19 is supported until 15 July 2027; plan the move to 9.x.',
  },
  'docker.elastic.co/kibana/kibana': { why: 'Must match Elasticsearch (8.19.22).', support: 'as Elasticsearch' },
  'quay.io/prometheuscommunity/elasticsearch-exporter': {
    why: 'Newest release; 1.10.0 stopped logging unsanitized URLs (credentials).',
    support: 'maintained',
  },
  'ollama/ollama': {
    why: 'Newest release evidenced (October 2026); the image has no curl, so its health check is `ollama list`.',
    support: 'fast-moving, no LTS',
  },
  'mailserver/docker-mailserver': {
    why: 'Newest release (15.1.0): Postfix and Dovecot from Debian 12, Rspamd, `__FILE` variables for secrets; the last release before the move to Debian 13. The digest could not be read here (no registry): pin it with `docker buildx imagetools inspect` where one is reachable.',
    support: 'maintained; only the newest release gets fixes',
  },
  'roundcube/roundcubemail': {
    why: 'Roundcube 1.7.3 (August 2026: IMAP command injection, stored XSS, SSRF and markasjunk RCE fixed), the apache-nonroot variant (www-data, port 8000). Its image was not seen here (the docker repository at hand builds 1.7.1): confirm the tag and pin its digest where a registry is reachable.',
    support: '1.7 is the current series; 1.6 gets security fixes',
  },
  kong: {
    why: 'Kong Gateway 3.9.3, the newest patch of 3.9: the last line Kong ships as an open-source image (3.10 and later are Enterprise only).',
    support: 'no further open-source line; 3.9 gets patches while Kong publishes them',
  },
  'prom/blackbox-exporter': {
    why: 'Newest release whose changelog could be reviewed (v0.29.0 exists; its changes were not at hand).',
    support: 'maintained',
  },
};
