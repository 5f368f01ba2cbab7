#!/bin/sh
# backup-upload-loop.sh: a single host's upload side. Every dump the schedule container finished
# (STAGING/<stamp>, oldest first) goes to the bucket with backup-upload.sh (BACKUP_STAMP = its stamp),
# then is deleted from the staging volume. A failed upload is retried on the next pass. The health
# check (backup-upload-loop.sh health) fails when a finished dump has waited longer than MAX_AGE_SECONDS.
set -u
STAGING=${STAGING:?staging directory shared with the schedule container}
UPLOAD=${UPLOAD:-/usr/local/bin/backup-upload.sh}

if [ "${1:-}" = health ]; then
  oldest=$(find "$STAGING" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort | head -n 1)
  [ -z "$oldest" ] && exit 0
  [ $(($(date -u +%s) - $(date -u -r "$oldest" +%s))) -lt "${MAX_AGE_SECONDS:?}" ]
  exit
fi

while :; do
  for dir in $(find "$STAGING" -mindepth 1 -maxdepth 1 -type d -name '2*' | sort); do
    if BACKUP_DIR="$dir" BACKUP_STAMP="${dir##*/}" sh "$UPLOAD"; then
      rm -rf "$dir"
    else
      echo "backup-upload-loop: ${dir##*/} not stored; retried in a minute" >&2
    fi
  done
  sleep 60
done
