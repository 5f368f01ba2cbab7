#!/bin/sh
# stopped-dump-k8s.sh: a cluster's stopped-dump window, for a server with no online backup (Neo4j
# Community) where no volume snapshot is taken. It runs in the server's own image (GNU wget and jq
# there), in a pod placed on the server's node that mounts the server's volume (ReadWriteOnce: one
# node), as the init step of the backup CronJob's pod. It reads the StatefulSet's replica count
# through its scale subresource, scales it to 0, waits until the member's pod object is gone (its
# containers have stopped), runs DUMP_COMMAND (sh -c) into BACKUP_DIR within RUN_SECONDS, and scales
# the StatefulSet back to the count it read on every way out (success, failure, SIGTERM from the
# Job's deadline). The API is reached with the pod's projected service account token, whose Role
# allows only get/patch on that StatefulSet's scale and get on that pod.
set -u
NS=${NAMESPACE:?namespace of the StatefulSet}
STS=${STATEFULSET:?name of the StatefulSet}
POD=${STS}-0
TOKEN_DIR=${TOKEN_DIR:-/var/run/secrets/platform/kubernetes-api}
RUN=${RUN_SECONDS:?}
STOP=${STOP_SECONDS:?}
: "${DUMP_COMMAND:?}" "${BACKUP_DIR:?}"
host=${KUBERNETES_SERVICE_HOST:?}
case $host in *:*) host="[$host]" ;; esac
API="https://$host:${KUBERNETES_SERVICE_PORT:-443}"
SCALE="/apis/apps/v1/namespaces/$NS/statefulsets/$STS/scale"
# wget's configuration carries the token (owner-only, removed on exit): never on a command line.
RC=$(mktemp)
trap 'rm -f "$RC"' EXIT

# api METHOD PATH [MERGE-PATCH]: the response body (also an error's Status) on stdout; wget's status.
api() {
  (umask 077 && printf 'header = Authorization: Bearer %s\n' "$(cat "$TOKEN_DIR/token")" >"$RC") || return 1
  if [ $# -gt 2 ]; then
    wget -q -O - --content-on-error --config="$RC" --ca-certificate="$TOKEN_DIR/ca.crt" --method=PATCH \
      --header='Content-Type: application/merge-patch+json' --body-data="$3" "$API$2"
  else
    wget -q -O - --content-on-error --config="$RC" --ca-certificate="$TOKEN_DIR/ca.crt" --method="$1" "$API$2"
  fi
}

scale_to() {
  api PATCH "$SCALE" "{\"spec\":{\"replicas\":$1}}" >/dev/null
}

replicas=$(api GET "$SCALE" | jq -er '.spec.replicas') || {
  echo "stopped-dump: cannot read the scale of statefulset $NS/$STS" >&2
  exit 1
}
echo "stopped-dump: $NS/$STS has $replicas replicas" >&2

restore() {
  rc=$?
  trap - EXIT TERM INT
  if [ "$replicas" -gt 0 ]; then
    n=0
    until scale_to "$replicas"; do
      n=$((n + 1))
      if [ "$n" -ge "${RESTORE_TRIES:-10}" ]; then
        echo "stopped-dump: COULD NOT SCALE $NS/$STS BACK TO $replicas: do it by hand (kubectl -n $NS scale statefulset $STS --replicas=$replicas)" >&2
        rm -f "$RC"
        exit 1
      fi
      sleep "${POLL_SECONDS:-2}"
    done
    echo "stopped-dump: $NS/$STS scaled back to $replicas" >&2
  fi
  rm -f "$RC"
  exit "$rc"
}
dump=
trap restore EXIT
# The pod's SIGTERM (the Job's deadline, a deletion) interrupts `wait`: the dump stops, the scale is restored.
trap '[ -n "$dump" ] && kill "$dump" 2>/dev/null; exit 143' TERM
trap '[ -n "$dump" ] && kill "$dump" 2>/dev/null; exit 130' INT

if [ "$replicas" -gt 0 ]; then
  scale_to 0 || { echo "stopped-dump: cannot scale $NS/$STS to 0" >&2; exit 1; }
  echo "stopped-dump: $NS/$STS scaled to 0; waiting for $POD to stop" >&2
fi
deadline=$(($(date +%s) + STOP))
while :; do
  code=$(api GET "/api/v1/namespaces/$NS/pods/$POD" | jq -r 'if .kind == "Status" then .code else "present" end')
  [ "$code" = 404 ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "stopped-dump: $POD still there after ${STOP}s ($code)" >&2
    exit 1
  fi
  sleep "${POLL_SECONDS:-2}"
done
echo "stopped-dump: $POD stopped; dumping" >&2
timeout "$RUN" sh -c "$DUMP_COMMAND" &
dump=$!
wait "$dump" || {
  echo "stopped-dump: dump failed (exit $?)" >&2
  exit 1
}
dump=
echo "stopped-dump: dump done" >&2
