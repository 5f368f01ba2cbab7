#!/bin/sh
# stopped-dump-supervisor.sh: a single host's stopped-dump window, for a server with no online backup
# (Neo4j Community). It runs the server (its command: this script's arguments) in the background and,
# every EVERY_MINUTES (OFFSET_MINUTES past each period, UTC), stops it (SIGTERM, waits for its clean
# shutdown), runs DUMP_COMMAND (sh -c, as the server's user through DUMP_AS: the image's `su-exec
# <user>:<group>`, the supervisor running as root) into a fresh STAGING/.<stamp> within RUN_SECONDS, renames it
# STAGING/<stamp> on success (the upload container, backup-upload-loop.sh, finds it there), and starts
# the server again whatever the dump did. While the window is open, STAGING/.window holds the time it
# must be over by; `health <check...>` passes until then, else runs the server's own check.
# SIGTERM/SIGINT (the container stopping; tini -g sends it to the whole group) stops the server and
# ends the supervisor; a server that exits by itself outside the window ends it with its status, so
# the container's restart policy applies as without the supervisor.
set -u
STAGING=${STAGING:?staging directory shared with the upload container}
WINDOW="$STAGING/.window"
now() { date -u +%s; }

if [ "${1:-}" = health ]; then
  shift
  until=$(cat "$WINDOW" 2>/dev/null || echo 0)
  [ "$(now)" -lt "$until" ] && exit 0
  exec "$@"
fi

[ $# -gt 0 ] || { echo "stopped-dump-supervisor: no server command" >&2; exit 2; }
EVERY=$((${EVERY_MINUTES:?} * 60))
OFFSET=$((${OFFSET_MINUTES:-0} * 60))
RUN=${RUN_SECONDS:?}
STOP=${STOP_SECONDS:?}
START=${START_SECONDS:?}
: "${DUMP_COMMAND:?}"
# The staging directory is shared with the upload container's user (it deletes what it stored); the
# server's own files keep the default umask.
mkdir -p "$STAGING" && chmod 777 "$STAGING"

server=
alarm=
stopping=
window=
on_term() {
  stopping=1
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null
  [ -n "$alarm" ] && kill "$alarm" 2>/dev/null
}
trap on_term TERM INT
trap 'window=1' USR1

# Waits for the server to exit; returns its status (a signal for which a trap is set interrupts wait).
wait_server() {
  while :; do
    wait "$server"
    rc=$?
    kill -0 "$server" 2>/dev/null || return "$rc"
  done
}

while :; do
  "$@" &
  server=$!
  echo "stopped-dump-supervisor: server started (pid $server)" >&2
  t=$(now)
  next=$(((t - OFFSET) / EVERY * EVERY + EVERY + OFFSET))
  window=
  (sleep $((next - t)) && kill -USR1 $$) &
  alarm=$!
  # Until the window opens, the container stops, or the server exits by itself.
  while :; do
    wait "$server"
    rc=$?
    if [ -n "$stopping" ]; then
      wait_server
      exit 0
    fi
    [ -n "$window" ] && break
    if ! kill -0 "$server" 2>/dev/null; then
      kill "$alarm" 2>/dev/null
      echo "stopped-dump-supervisor: server exited ($rc)" >&2
      exit "$rc"
    fi
  done
  wait "$alarm" 2>/dev/null
  alarm=
  echo $(($(now) + STOP + RUN + START)) >"$WINDOW"
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  echo "stopped-dump-supervisor: window $stamp: stopping the server" >&2
  kill -TERM "$server" 2>/dev/null
  wait_server
  echo "stopped-dump-supervisor: server stopped ($?)" >&2
  server=
  [ -n "$stopping" ] && exit 0
  work="$STAGING/.$stamp"
  mkdir -m 777 "$work"
  # DUMP_AS is a command and its arguments (split on blanks).
  if BACKUP_DIR="$work" timeout "$RUN" ${DUMP_AS:-} sh -c "$DUMP_COMMAND"; then
    chmod -R a+rX "$work"
    mv "$work" "$STAGING/$stamp"
    echo "stopped-dump-supervisor: dump $stamp done" >&2
  else
    echo "stopped-dump-supervisor: dump $stamp failed (exit $?)" >&2
    rm -rf "$work"
  fi
  [ -n "$stopping" ] && exit 0
  echo $(($(now) + START)) >"$WINDOW"
done
