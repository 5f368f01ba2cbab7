#!/bin/sh
# qdrant-dump.sh: every collection's snapshot from every member, through Qdrant's own snapshot API:
#   POST /collections/<c>/snapshots?wait=true   the member snapshots its shards of the collection
#   GET  /collections/<c>/snapshots/<name>      downloaded to <BACKUP_DIR>/<member>/<c>.snapshot, its
#                                               SHA-256 checked against the one Qdrant reports
#   DELETE /collections/<c>/snapshots/<name>    so the member's snapshot volume does not fill up
# A cluster's member holds only its own shards: a restore uploads each member's snapshots to it
# (docs/operations.md). QDRANT_MEMBERS: the members' URLs; the read-write API key from
# QDRANT_API_KEY_FILE reaches curl in a header file, never on its command line.
# Needs: sh, curl, sed, sha256sum (curlimages/curl has them).
set -eu

BACKUP_DIR=${BACKUP_DIR:?directory for the snapshots}
QDRANT_MEMBERS=${QDRANT_MEMBERS:?URLs of the members, e.g. http://qdrant:6333}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT INT TERM
umask 077
printf 'api-key: %s\n' "$(cat "${QDRANT_API_KEY_FILE:?API key file}")" >"$W/key"
umask 022
q() { curl -fsS --retry 3 --connect-timeout 10 -H @"$W/key" "$@"; }

for m in $QDRANT_MEMBERS; do
  member=$(echo "$m" | sed 's#^[a-z]*://##; s#[:/].*##; s#\..*##')
  mkdir -p "$BACKUP_DIR/$member"
  q "$m/collections" >"$W/collections.json"
  tr '{' '\n' <"$W/collections.json" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p' >"$BACKUP_DIR/$member/collections.txt"
  while IFS= read -r c; do
    [ -n "$c" ] || continue
    q -X POST "$m/collections/$c/snapshots?wait=true" >"$W/snapshot.json"
    name=$(sed -n 's/.*"name":"\([^"]*\)".*/\1/p' "$W/snapshot.json")
    sum=$(sed -n 's/.*"checksum":"\([0-9a-f]*\)".*/\1/p' "$W/snapshot.json")
    [ -n "$name" ] || { echo "qdrant-dump: $member: no snapshot name for $c: $(cat "$W/snapshot.json")" >&2; exit 1; }
    q -o "$BACKUP_DIR/$member/$c.snapshot" "$m/collections/$c/snapshots/$name"
    if [ -n "$sum" ]; then
      echo "$sum  $BACKUP_DIR/$member/$c.snapshot" | sha256sum -c - >/dev/null
    fi
    q -X DELETE "$m/collections/$c/snapshots/$name?wait=true" >/dev/null
    echo "qdrant-dump: $member: $c ($(wc -c <"$BACKUP_DIR/$member/$c.snapshot" | tr -d ' ') bytes)" >&2
  done <"$BACKUP_DIR/$member/collections.txt"
done
