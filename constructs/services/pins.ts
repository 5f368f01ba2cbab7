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
    why: "The curl project's own image, newest release: runs the Garage setup script, the Qdrant and RabbitMQ dumps and every backup's upload (sh, awk, curl with --aws-sigv4).",
    support: 'maintained',
  },
  node: {
    why: "The Node.js Active LTS line's official Alpine image: runs the JetStream backup client (nats-backup.mjs, no dependency).",
    support: 'Node.js 24 is LTS until April 2028.',
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
  'quay.io/prometheus/prometheus': {
    why: 'Newest release at hand (v3.14.0, August 2026) and kube-prometheus-stack 88.5.3’s default, so both targets run the same Prometheus; promtool in the image signs in for the health check.',
    support: 'A minor every six weeks; 3.5 is the LTS line if a slower cadence is wanted.',
  },
  'quay.io/prometheus/alertmanager': { why: 'Newest release (v0.34.0) and kube-prometheus-stack 88.5.3’s default.', support: 'maintained' },
  'grafana/grafana': {
    why: 'The appVersion of the grafana chart 12.11.1 that kube-prometheus-stack 88.5.3 depends on (13.3 exists; its changelog was not reviewed).',
    support: 'Grafana supports the latest minor and the previous one.',
  },
  'grafana/loki': { why: 'Newest 3.7 patch and the grafana-community loki chart 18.11.0’s appVersion.', support: 'maintained' },
  'grafana/alloy': {
    why: 'The alloy chart 1.11.1’s appVersion (v1.19.0 existed as release candidates only); Promtail’s successor (Promtail ended on 2 March 2026).',
    support: 'maintained',
  },
  haproxy: {
    why: 'The official image’s LTS line (3.4, newest patch): the read-only proxy of the container engine’s API the log shipper and cAdvisor read.',
    support: '3.4 is an LTS branch (five years of fixes).',
  },
  'jaegertracing/jaeger': {
    why: 'Jaeger v2, newest release at hand (2.20.0); its breaking changes (ES v6, jaeger_mcp moved) do not touch a memory store.',
    support: 'Jaeger v1 reached its end of life on 31 December 2025; v2 is maintained.',
  },
  'quay.io/prometheus/node-exporter': {
    why: 'Newest release (v1.12.1), the prometheus-node-exporter chart 4.56.1’s appVersion.',
    support: 'maintained',
  },
  'ghcr.io/google/cadvisor': {
    why: 'Newest release (0.60.5); ghcr.io is where cAdvisor publishes since v0.53.0 (gcr.io/cadvisor stopped).',
    support: 'maintained',
  },
  'quay.io/prometheuscommunity/yet-another-cloudwatch-exporter': {
    why: 'Newest release (v0.67.0, July 2026) of YACE, the CloudWatch exporter in prometheus-community since November 2024; its AWS SDK (aws-sdk-go-v2) reads Pod Identity credentials.',
    support: 'maintained; pre-1.0, so any release may break: read the changelog before moving the pin',
  },
  'nvcr.io/nvidia/k8s/dcgm-exporter': {
    why: 'The dcgm-exporter chart 4.8.2’s default release (4.5.3-4.8.2), its Ubuntu build on a single host (a shell for the health check).',
    support: 'maintained',
  },
};
