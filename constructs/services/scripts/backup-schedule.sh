#!/bin/sh
# backup-schedule.sh: a single host's backup schedule, run beside the service in the image of its dump
# step. Every EVERY_MINUTES (OFFSET_MINUTES past each period, UTC) it runs the dump step (its command
# is this script's arguments) into a fresh STAGING/.<stamp>, and on success renames it STAGING/<stamp>,
# where the upload container (backup-upload-loop.sh) finds it. A run that fails or overruns
# RUN_SECONDS is deleted and reported; the health check (backup-schedule.sh health) fails when no
# dump has succeeded for MAX_AGE_SECONDS (counted from the container's start at first).
set -u
STAGING=${STAGING:?staging directory shared with the upload container}
LAST="$STAGING/.last-dump"
STARTED="$STAGING/.started"

if [ "${1:-}" = health ]; then
  last=$(cat "$LAST" 2>/dev/null || cat "$STARTED" 2>/dev/null || echo 0)
  [ $(($(date -u +%s) - last)) -lt "${MAX_AGE_SECONDS:?}" ]
  exit
fi

EVERY=$((${EVERY_MINUTES:?} * 60))
OFFSET=$((${OFFSET_MINUTES:-0} * 60))
# Files the upload container (another user) deletes once stored.
umask 000
mkdir -p "$STAGING"
date -u +%s >"$STARTED"
while :; do
  now=$(date -u +%s)
  next=$(((now - OFFSET) / EVERY * EVERY + EVERY + OFFSET))
  sleep $((next - now))
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  work="$STAGING/.$stamp"
  mkdir -p "$work"
  if BACKUP_DIR="$work" timeout "${RUN_SECONDS:-3600}" "$@"; then
    mv "$work" "$STAGING/$stamp"
    date -u +%s >"$LAST"
    echo "backup-schedule: dump $stamp done" >&2
  else
    echo "backup-schedule: dump $stamp failed (exit $?)" >&2
    rm -rf "$work"
  fi
done
