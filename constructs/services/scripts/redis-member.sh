#!/bin/sh
# redis-member.sh server|sentinel: starts one member of a Redis primary/replica set watched by Sentinel.
#
# Who the primary is comes from the sentinels that already run: the first one that names a primary
# wins (a member coming back after a failover follows the promoted replica). When no sentinel answers
# (the set's first start, or every member restarting at once) member 0 (REDIS_FIRST_PRIMARY) is the
# primary and the others replicate it; the sentinels then take over.
#
#   server:   redis-server on REDIS_CONFIG, announcing REDIS_SELF, as primary or as a replica of it.
#   sentinel: a writable copy of SENTINEL_TEMPLATE (Sentinel rewrites its file) in SENTINEL_DIR, with
#             the monitored primary and the password (from REDIS_AUTH_FILE) filled in, announcing
#             SENTINEL_SELF.
#
# Addresses are `host:port`; SENTINELS lists every member's sentinel. With REDIS_TLS_CA (internal TLS)
# the sentinels speak TLS only, and redis-cli verifies them against that CA. Needs sh, redis-cli, sed,
# awk, timeout (the redis image has them).
set -eu

: "${REDIS_AUTH_FILE:?the file with requirepass <password>}"
: "${REDIS_SELF:?this member's host:port}"
: "${REDIS_FIRST_PRIMARY:?member 0 host:port}"
: "${SENTINELS:?every sentinel, host:port, space-separated}"
: "${MASTER_NAME:?the name the sentinels monitor the primary under}"

REDISCLI_AUTH=$(sed -n 's/^requirepass //p' "$REDIS_AUTH_FILE")
export REDISCLI_AUTH
[ -n "$REDISCLI_AUTH" ] || { echo "redis-member: no requirepass in $REDIS_AUTH_FILE" >&2; exit 1; }

cli_tls=
[ -z "${REDIS_TLS_CA:-}" ] || cli_tls="--tls --cacert $REDIS_TLS_CA"

host() { echo "${1%:*}"; }
port() { echo "${1##*:}"; }

# The primary a running sentinel names (other than this member's own sentinel, which restarts with it).
primary_from_sentinels() {
  for s in $SENTINELS; do
    [ "$s" = "${SENTINEL_SELF:-}" ] && continue
    # shellcheck disable=SC2086 # cli_tls is empty or several words
    answer=$(timeout 3 redis-cli $cli_tls --no-auth-warning -h "$(host "$s")" -p "$(port "$s")" --raw \
      SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ') || continue
    set -- $answer
    if [ $# -eq 2 ] && [ -n "$1" ] && [ "$2" -gt 0 ] 2>/dev/null; then
      echo "$1:$2"
      return 0
    fi
  done
  return 1
}

primary=$(primary_from_sentinels) || primary=$REDIS_FIRST_PRIMARY
echo "redis-member: $1 starts with primary $primary" >&2

case "$1" in
  server)
    set -- "$REDIS_CONFIG" --replica-announce-ip "$(host "$REDIS_SELF")" --replica-announce-port "$(port "$REDIS_SELF")"
    [ "$primary" = "$REDIS_SELF" ] || set -- "$@" --replicaof "$(host "$primary")" "$(port "$primary")"
    exec redis-server "$@"
    ;;
  sentinel)
    : "${SENTINEL_SELF:?this member's sentinel host:port}"
    conf="$SENTINEL_DIR/sentinel.conf"
    umask 077
    awk -v h="$(host "$primary")" -v p="$(port "$primary")" -v m="$MASTER_NAME" \
      '$1 == "sentinel" && $2 == "monitor" && $3 == m { $4 = h; $5 = p } { print }' "$SENTINEL_TEMPLATE" >"$conf"
    {
      echo "sentinel announce-ip $(host "$SENTINEL_SELF")"
      echo "sentinel announce-port $(port "$SENTINEL_SELF")"
      # Clients and the other sentinels authenticate with the same password as the data nodes.
      echo "requirepass $REDISCLI_AUTH"
      echo "sentinel sentinel-pass $REDISCLI_AUTH"
      echo "sentinel auth-pass $MASTER_NAME $REDISCLI_AUTH"
    } >>"$conf"
    exec redis-server "$conf" --sentinel
    ;;
  *)
    echo "usage: redis-member.sh server|sentinel" >&2
    exit 2
    ;;
esac
