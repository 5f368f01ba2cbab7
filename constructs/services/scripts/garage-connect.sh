#!/bin/sh
# garage-connect.sh: connects the nodes of a Garage v2.x cluster, then runs garage-init.sh ($1).
# A node knows no other until told: each node's id (its public key, made at its first start) comes
# from the node itself (GetNodeInfo on its stable address, NODES), then one node (ADMIN_URL) is asked
# to connect to all of them; Garage spreads the peer list from there and keeps it in its metadata
# directory across restarts. Idempotent: connecting to a connected node succeeds.
# Needs: sh, curl, awk, grep, wc (curlimages/curl has them). The token is read from its file, never on argv.
set -eu

ADMIN_URL=${ADMIN_URL:?admin API base URL, e.g. http://garage:3903}
ADMIN_TOKEN_FILE=${ADMIN_TOKEN_FILE:?file with the admin token}
NODES=${NODES:?space-separated node addresses}
ADMIN_PORT=${ADMIN_PORT:-3903}
RPC_PORT=${RPC_PORT:-3901}
TRIES=${TRIES:-60} # x SLEEP s per step
SLEEP=${SLEEP:-5}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
printf 'Authorization: Bearer %s\n' "$(cat "$ADMIN_TOKEN_FILE")" >"$W/auth"

log() { echo "garage-connect: $*" >&2; }

# until_ok URL [BODY_FILE]: GET (or POST the body) until HTTP 200; the body is left in $W/out.
until_ok() {
  _n=0
  while :; do
    if [ $# -ge 2 ]; then
      _st=$(curl -sS -o "$W/out" -w '%{http_code}' -X POST -H @"$W/auth" -H 'Content-Type: application/json' --data-binary @"$2" "$1" 2>"$W/err" || true)
    else
      _st=$(curl -sS -o "$W/out" -w '%{http_code}' -H @"$W/auth" "$1" 2>"$W/err" || true)
    fi
    [ "$_st" = 200 ] && return 0
    case "$_st" in 000 | 5??) ;; *) log "$1 -> HTTP $_st: $(cat "$W/out")"; exit 1 ;; esac
    _n=$((_n + 1))
    [ "$_n" -lt "$TRIES" ] || { log "$1 still failing (HTTP $_st): $(cat "$W/out" "$W/err" 2>/dev/null)"; exit 1; }
    sleep "$SLEEP"
  done
}

peers=""
for node in $NODES; do
  until_ok "http://$node:$ADMIN_PORT/v2/GetNodeInfo?node=self"
  id=$(awk -F'"' '$2 == "nodeId" && length($4) == 64 { print $4; exit }' "$W/out")
  [ -n "$id" ] || { log "no node id from $node: $(cat "$W/out")"; exit 1; }
  peers="$peers${peers:+,}\"$id@$node:$RPC_PORT\""
done
printf '[%s]' "$peers" >"$W/req"
i=0
while :; do
  until_ok "$ADMIN_URL/v2/ConnectClusterNodes" "$W/req"
  grep -q '"success": *false' "$W/out" || break
  i=$((i + 1))
  [ "$i" -lt "$TRIES" ] || { log "nodes did not connect: $(cat "$W/out")"; exit 1; }
  sleep "$SLEEP"
done
log "asked the nodes to connect: $(echo "$NODES" | wc -w) of them"
rm -rf "$W"
trap - EXIT INT TERM
exec /bin/sh "$1"
