#!/bin/sh
# garage-init.sh: idempotent one-shot setup of a Garage v2.x cluster over the admin API v2.
#   1. waits until EXPECTED_NODES nodes are connected,
#   2. gives every connected node without a role a storage role and applies the layout (only if something is staged),
#   3. imports the generated S3 key (or checks that the existing one has the same secret),
#   4. creates each bucket (global alias) and grants the key read+write+owner on it,
#   5. imports each application's key (APP_KEYS_FILE: lines "<name> <key id> <secret> <bucket>...") and
#      grants it read+write (not owner) on its buckets and nothing on the others.
# Needs: sh, curl, grep, awk, wc (curlimages/curl has them). Secrets are read from files and never put on argv.
set -eu

ADMIN_URL=${ADMIN_URL:?admin API base URL, e.g. http://garage:3903}
ADMIN_TOKEN_FILE=${ADMIN_TOKEN_FILE:-/run/secrets/garage/admin_token}
S3_ACCESS_KEY_ID_FILE=${S3_ACCESS_KEY_ID_FILE:-/run/secrets/garage/s3_access_key_id}
S3_SECRET_ACCESS_KEY_FILE=${S3_SECRET_ACCESS_KEY_FILE:-/run/secrets/garage/s3_secret_access_key}
BUCKETS=${BUCKETS:-"workflow-artifacts agent-outputs user-uploads"}
KEY_NAME=${KEY_NAME:-platform}
EXPECTED_NODES=${EXPECTED_NODES:-1}
NODE_CAPACITY=${NODE_CAPACITY:?capacity of each storage node in bytes, e.g. 107374182400}
ZONE=${ZONE:-dc1}                  # zone of every node, unless ZONE_FROM_HOSTNAME=1
ZONE_FROM_HOSTNAME=${ZONE_FROM_HOSTNAME:-0}  # 1: zone = pod hostname minus "-<ordinal>" (one StatefulSet per zone)
TRIES=${TRIES:-60}                 # x 5 s per step
SLEEP=${SLEEP:-5}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
printf 'Authorization: Bearer %s\n' "$(cat "$ADMIN_TOKEN_FILE")" >"$W/auth"
KEY_ID=$(cat "$S3_ACCESS_KEY_ID_FILE")
SECRET=$(cat "$S3_SECRET_ACCESS_KEY_FILE")

log() { echo "garage-init: $*" >&2; }

# call METHOD PATH [BODY_FILE] -> prints the HTTP status (000 = no connection); body in $W/out
call() {
  if [ $# -ge 3 ]; then
    curl -sS -o "$W/out" -w '%{http_code}' -X "$1" -H @"$W/auth" -H 'Content-Type: application/json' \
      --data-binary @"$3" "$ADMIN_URL$2" 2>"$W/err" || true
  else
    curl -sS -o "$W/out" -w '%{http_code}' -X "$1" -H @"$W/auth" "$ADMIN_URL$2" 2>"$W/err" || true
  fi
}

# must "CODES" METHOD PATH [BODY_FILE] -> prints the status once it is one of CODES.
# Retries on no connection and 5xx (node starting, no quorum yet); any other status is fatal.
# (sh has no local variables: the helpers use _-prefixed names only.)
must() {
  _codes=$1; shift; _n=0
  while :; do
    _st=$(call "$@")
    case " $_codes " in *" $_st "*) echo "$_st"; return 0 ;; esac
    case "$_st" in
      000 | 5??) ;;
      *) log "$1 $2 -> HTTP $_st: $(cat "$W/out")"; exit 1 ;;
    esac
    _n=$((_n + 1))
    if [ "$_n" -ge "$TRIES" ]; then log "$1 $2 still failing (HTTP $_st): $(cat "$W/out" "$W/err" 2>/dev/null)"; exit 1; fi
    sleep "$SLEEP"
  done
}

# ---- 1. wait for the nodes ---------------------------------------------------------------------
# The admin API answers pretty-printed JSON (one field per line); each node object of GetClusterStatus
# lists "id", "garageVersion", "addr", "hostname", "isUp" in this order.
i=0
while :; do
  must 200 GET /v2/GetClusterStatus >/dev/null
  awk -F'"' '$2 == "id" && length($4) == 64 { id = $4; host = "" }
             $2 == "hostname"                { host = $4 }
             $2 == "isUp" && $3 ~ /true/     { if (id != "") print id, host; id = "" }' "$W/out" >"$W/up"
  n=$(wc -l <"$W/up")
  [ "$n" -ge "$EXPECTED_NODES" ] && break
  i=$((i + 1))
  if [ "$i" -ge "$TRIES" ]; then log "only $n of $EXPECTED_NODES nodes connected"; exit 1; fi
  log "waiting: $n of $EXPECTED_NODES nodes connected"
  sleep "$SLEEP"
done
log "$n node(s) connected"

# ---- 2. layout ---------------------------------------------------------------------------------
must 200 GET /v2/GetClusterLayout >/dev/null
version=$(awk -F'"' '$2 == "version" { gsub(/[^0-9]/, "", $3); print $3; exit }' "$W/out")
roles=""
while read -r id host; do
  grep -q "\"id\": \"$id\"" "$W/out" && continue # already has a role, current or staged
  zone=$ZONE
  if [ "$ZONE_FROM_HOSTNAME" = 1 ] && [ -n "$host" ]; then zone=${host%-*}; fi
  roles="$roles${roles:+,}{\"id\":\"$id\",\"zone\":\"$zone\",\"capacity\":$NODE_CAPACITY,\"tags\":[\"$host\"]}"
done <"$W/up"
if [ -n "$roles" ]; then
  printf '{"roles":[%s]}' "$roles" >"$W/req"
  must 200 POST /v2/UpdateClusterLayout "$W/req" >/dev/null
  log "staged roles for new nodes"
fi
if grep -q '"stagedRoleChanges": \[\]' "$W/out"; then
  log "layout version $version, nothing to apply"
else
  printf '{"version":%d}' $((version + 1)) >"$W/req"
  must 200 POST /v2/ApplyClusterLayout "$W/req" >/dev/null
  log "applied layout version $((version + 1))"
fi
# Wait until this node sees write quorum for every partition (GET /health: 200 healthy or degraded, 503 otherwise).
must 200 GET /health >/dev/null

# import_key ID SECRET NAME: imports the key, or checks that the existing one has the same secret.
import_key() {
  printf '{"accessKeyId":"%s","secretAccessKey":"%s","name":"%s"}' "$1" "$2" "$3" >"$W/req"
  _imported=$(must '200 409' POST /v2/ImportKey "$W/req")
  if [ "$_imported" = 409 ]; then
    # Exists (or was deleted: Garage never re-imports a deleted key id, GetKeyInfo then answers 404 and we stop).
    must 200 GET "/v2/GetKeyInfo?id=$1&showSecretKey=true" >/dev/null
    printf '"secretAccessKey": "%s"' "$2" >"$W/pat"
    if ! grep -qF -f "$W/pat" "$W/out"; then
      log "key $1 exists with another secret: rotate the key id together with the secret"
      exit 1
    fi
    log "key $1 ($3) already present"
  else
    log "imported key $1 ($3)"
  fi
  rm -f "$W/req" "$W/pat"
}

# bucket_id NAME -> prints the bucket's id
bucket_id() {
  must 200 GET "/v2/GetBucketInfo?globalAlias=$1" >/dev/null
  _bid=$(awk -F'"' '$2 == "id" && length($4) == 64 { print $4; exit }' "$W/out")
  [ -n "$_bid" ] || { log "no id for bucket $1"; exit 1; }
  echo "$_bid"
}

# grant ALLOW|DENY BUCKET_ID KEY_ID READ WRITE OWNER
grant() {
  printf '{"bucketId":"%s","accessKeyId":"%s","permissions":{"read":%s,"write":%s,"owner":%s}}' "$2" "$3" "$4" "$5" "$6" >"$W/req"
  must 200 POST "/v2/$1BucketKey" "$W/req" >/dev/null
}

# ---- 3. S3 key -----------------------------------------------------------------------------------
import_key "$KEY_ID" "$SECRET" "$KEY_NAME"

# ---- 4. buckets and grants ---------------------------------------------------------------------
for b in $BUCKETS; do
  printf '{"globalAlias":"%s"}' "$b" >"$W/req"
  created=$(must '200 409' POST /v2/CreateBucket "$W/req")
  bid=$(bucket_id "$b")
  grant Allow "$bid" "$KEY_ID" true true true
  if [ "$created" = 409 ]; then log "bucket $b exists, grant ensured"; else log "bucket $b created, granted"; fi
done

# ---- 5. applications' keys: read+write on their buckets, nothing on the others -----------------------
if [ -n "${APP_KEYS_FILE:-}" ]; then
  while read -r app id secret buckets; do
    [ -n "$app" ] || continue
    import_key "$id" "$secret" "$app"
    for b in $BUCKETS; do
      bid=$(bucket_id "$b")
      case " $buckets " in
        *" $b "*) grant Allow "$bid" "$id" true true false ;;
        *) grant Deny "$bid" "$id" true true true ;;
      esac
    done
    log "application $app: read+write on $buckets"
  done <"$APP_KEYS_FILE"
fi
log "done"
