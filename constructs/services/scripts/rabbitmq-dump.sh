#!/bin/sh
# rabbitmq-dump.sh: the broker's definitions (users with their password hashes, vhosts, permissions,
# queues, exchanges, bindings, policies) through the management API, GET /api/definitions: what
# `rabbitmqctl export_definitions` writes. Messages are not kept (docs/operations.md). The
# administrator's password reaches curl in a config file, never on its command line.
# Restore: POST /api/definitions (or rabbitmqctl import_definitions).
set -eu

BACKUP_DIR=${BACKUP_DIR:?directory for the definitions}
RABBITMQ_URL=${RABBITMQ_URL:?management API, e.g. http://rabbitmq:15672}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
umask 077
printf 'user = "%s:%s"\n' "${RABBITMQ_USER:?user}" "$(cat "${RABBITMQ_PASSWORD_FILE:?password file}")" >"$W/auth"
umask 022
curl -fsS --retry 3 --connect-timeout 10 -K "$W/auth" -o "$BACKUP_DIR/definitions.json" "$RABBITMQ_URL/api/definitions"
grep -q '"rabbit_version"' "$BACKUP_DIR/definitions.json" || { echo "rabbitmq-dump: not a definitions export" >&2; exit 1; }
echo "rabbitmq-dump: $(wc -c <"$BACKUP_DIR/definitions.json" | tr -d ' ') bytes of definitions" >&2
