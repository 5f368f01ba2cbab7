#!/bin/sh
# backup-upload.sh: uploads one backup (the files a dump step wrote into BACKUP_DIR) to an S3 bucket
# under <S3_PREFIX>/<STAMP>/, then keeps the newest backups by the retention and deletes the others.
#
#   <prefix>/<stamp>/<file>             each file (a file over PART_BYTES as <file>.part-0000, -0001, ...)
#   <prefix>/<stamp>/SHA256SUMS         sha256sum of every file as the dump step wrote it
#   <prefix>/<stamp>/COMPLETE           written last: a backup without it is incomplete and never kept
#
# Retention (UTC): every complete backup younger than KEEP_RECENT_HOURS, then the newest of each of
# the last KEEP_DAILY days, KEEP_WEEKLY ISO weeks and KEEP_MONTHLY months. Incomplete backups older
# than KEEP_RECENT_HOURS are deleted.
#
# Credentials: S3_ACCESS_KEY_ID_FILE + S3_SECRET_ACCESS_KEY_FILE, else the container credentials the
# EKS Pod Identity agent serves (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).
# Secrets are read from files into curl's config file (0600, removed on exit), never put on argv.
# STATUS_FILE (optional): the outcome as Prometheus text metrics, written atomically (a single host's
# exporter serves it).
# Needs: sh, curl (--aws-sigv4), sed, awk, date, sha256sum, dd, sort, find (curlimages/curl has them).
set -eu

BACKUP_DIR=${BACKUP_DIR:?directory with the files to upload}
S3_ENDPOINT=${S3_ENDPOINT:?S3 endpoint, e.g. http://garage:3900}
S3_REGION=${S3_REGION:?S3 region}
S3_BUCKET=${S3_BUCKET:?bucket}
S3_PREFIX=${S3_PREFIX:?key prefix (the service)}
KEEP_RECENT_HOURS=${KEEP_RECENT_HOURS:-24}
KEEP_DAILY=${KEEP_DAILY:-7}
KEEP_WEEKLY=${KEEP_WEEKLY:-4}
KEEP_MONTHLY=${KEEP_MONTHLY:-6}
PART_BYTES=${PART_BYTES:-1073741824}
STAMP=${BACKUP_STAMP:-$(date -u +%Y%m%dT%H%M%SZ)}
NOW=${BACKUP_NOW:-$(date -u +%s)}
STATUS_SERVICE=${STATUS_SERVICE:-$S3_PREFIX}

log() { echo "backup-upload: $*" >&2; }

W=$(mktemp -d)
ok=0
size=0
status() {
  [ -n "${STATUS_FILE:-}" ] || return 0
  _prev_ok=$(sed -n 's/^platform_backup_last_success_timestamp_seconds{[^}]*} //p' "$STATUS_FILE" 2>/dev/null || true)
  _last_ok=${_prev_ok:-0}
  if [ "$ok" = 1 ]; then _last_ok=$NOW; fi
  _l="service=\"$STATUS_SERVICE\",backup=\"$S3_PREFIX\""
  {
    echo '# HELP platform_backup_last_run_failed 1 when the last backup run failed, 0 when it succeeded.'
    echo '# TYPE platform_backup_last_run_failed gauge'
    echo "platform_backup_last_run_failed{$_l} $((1 - ok))"
    echo '# HELP platform_backup_last_run_timestamp_seconds When the last backup run ended.'
    echo '# TYPE platform_backup_last_run_timestamp_seconds gauge'
    echo "platform_backup_last_run_timestamp_seconds{$_l} $(date -u +%s)"
    echo '# HELP platform_backup_last_success_timestamp_seconds When the last backup was stored completely.'
    echo '# TYPE platform_backup_last_success_timestamp_seconds gauge'
    echo "platform_backup_last_success_timestamp_seconds{$_l} $_last_ok"
    echo '# HELP platform_backup_max_age_seconds How old the newest backup may be before it counts as missing.'
    echo '# TYPE platform_backup_max_age_seconds gauge'
    echo "platform_backup_max_age_seconds{$_l} ${MAX_AGE_SECONDS:-90000}"
    echo '# HELP platform_backup_last_size_bytes Bytes of the last backup stored.'
    echo '# TYPE platform_backup_last_size_bytes gauge'
    echo "platform_backup_last_size_bytes{$_l} $size"
  } >"$STATUS_FILE.tmp"
  mv "$STATUS_FILE.tmp" "$STATUS_FILE"
}
finish() {
  _rc=$?
  [ "$_rc" = 0 ] || ok=0
  status || true
  rm -rf "$W"
  exit "$_rc"
}
trap finish EXIT
trap 'exit 143' INT TERM

# ---- credentials ---------------------------------------------------------------------------------
umask 077
if [ -n "${S3_ACCESS_KEY_ID_FILE:-}" ]; then
  key_id=$(cat "$S3_ACCESS_KEY_ID_FILE")
  secret=$(cat "$S3_SECRET_ACCESS_KEY_FILE")
  token=""
elif [ -n "${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]; then
  printf 'Authorization: %s\n' "$(cat "${AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:?token file}")" >"$W/agent"
  curl -fsS --max-time 10 -H @"$W/agent" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" >"$W/creds"
  field() { sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p" "$W/creds"; }
  key_id=$(field AccessKeyId)
  secret=$(field SecretAccessKey)
  token=$(field Token)
else
  log "no credentials: set S3_ACCESS_KEY_ID_FILE/S3_SECRET_ACCESS_KEY_FILE or run with EKS Pod Identity"
  exit 1
fi
[ -n "$key_id" ] && [ -n "$secret" ] || { log "empty credentials"; exit 1; }
{
  echo 'silent'
  echo 'show-error'
  echo 'fail'
  echo 'retry = 3'
  echo 'connect-timeout = 10'
  printf 'user = "%s:%s"\n' "$key_id" "$secret"
  printf 'aws-sigv4 = "aws:amz:%s:s3"\n' "$S3_REGION"
  echo 'header = "x-amz-content-sha256: UNSIGNED-PAYLOAD"'
  [ -z "$token" ] || printf 'header = "x-amz-security-token: %s"\n' "$token"
} >"$W/cfg"
unset secret token
umask 022

s3() { curl -K "$W/cfg" "$@"; }
url() { printf '%s/%s/%s' "${S3_ENDPOINT%/}" "$S3_BUCKET" "$1"; }
# A query parameter's value as signature V4 encodes it: unreserved characters as they are, every
# other byte as %XX (continuation tokens may hold + / =; prefixes hold /).
enc() {
  printf '%s' "$1" | od -An -tx1 -v | tr -s ' \n' '\n\n' | awk '
    BEGIN { for (i = 0; i < 256; i++) { h = sprintf("%02x", i); code[h] = i } }
    NF { c = code[$1]
         if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95 || c == 126)
           printf "%c", c
         else printf "%%%s", toupper($1) }'
}

# list PREFIX -> every key under PREFIX, one per line (follows continuation tokens)
list() {
  _token=""
  while :; do
    # Parameters in the order the signature sorts them.
    _q="list-type=2&prefix=$(enc "$1")"
    [ -z "$_token" ] || _q="continuation-token=$(enc "$_token")&$_q"
    s3 "$(url "")?$_q" >"$W/list.xml"
    tr '<' '\n' <"$W/list.xml" | sed -n 's/^Key>//p'
    grep -q '<IsTruncated>true</IsTruncated>' "$W/list.xml" || break
    _token=$(tr '<' '\n' <"$W/list.xml" | sed -n 's/^NextContinuationToken>//p')
    [ -n "$_token" ] || break
  done
}

# ---- upload --------------------------------------------------------------------------------------
[ -d "$BACKUP_DIR" ] || { log "$BACKUP_DIR is not a directory"; exit 1; }
(cd "$BACKUP_DIR" && find . -type f ! -name '.*' | sed 's#^\./##' | LC_ALL=C sort) >"$W/files"
[ -s "$W/files" ] || { log "the dump step wrote nothing into $BACKUP_DIR"; exit 1; }
dest="$S3_PREFIX/$STAMP"
(cd "$BACKUP_DIR" && while IFS= read -r f; do sha256sum "$f"; done <"$W/files") >"$W/SHA256SUMS"
count=0
while IFS= read -r f; do
  bytes=$(wc -c <"$BACKUP_DIR/$f" | tr -d ' ')
  if [ "$bytes" -gt "$PART_BYTES" ]; then
    # Over one PUT's comfortable size: parts of PART_BYTES (a restore concatenates them in order).
    mib=$((PART_BYTES / 1048576))
    i=0
    while [ $((i * PART_BYTES)) -lt "$bytes" ]; do
      part=$(printf '%s.part-%04d' "$f" "$i")
      dd if="$BACKUP_DIR/$f" bs=1048576 skip=$((i * mib)) count="$mib" 2>/dev/null | s3 -T - "$(url "$dest/$part")"
      i=$((i + 1))
    done
  else
    s3 -T "$BACKUP_DIR/$f" "$(url "$dest/$f")"
  fi
  size=$((size + bytes))
  count=$((count + 1))
done <"$W/files"
s3 -T "$W/SHA256SUMS" "$(url "$dest/SHA256SUMS")"
printf 'stamp %s\nfiles %s\nbytes %s\n' "$STAMP" "$count" "$size" >"$W/COMPLETE"
s3 -T "$W/COMPLETE" "$(url "$dest/COMPLETE")"
log "stored $count file(s), $size bytes, at $S3_BUCKET/$dest/"

# ---- retention -----------------------------------------------------------------------------------
list "$S3_PREFIX/" >"$W/keys"
# Stamps, newest first, and which of them are complete.
sed -n "s#^$S3_PREFIX/\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)/.*#\\1#p" "$W/keys" | LC_ALL=C sort -ru >"$W/stamps"
sed -n "s#^$S3_PREFIX/\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)/COMPLETE\$#\\1#p" "$W/keys" | LC_ALL=C sort -ru >"$W/complete"
: >"$W/keep"
days=0
weeks=0
months=0
: >"$W/seen"
while IFS= read -r s; do
  e=$(date -u -d "$(echo "$s" | sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3 \4:\5:\6/')" +%s)
  keep=0
  if [ $((NOW - e)) -lt $((KEEP_RECENT_HOURS * 3600)) ]; then keep=1; fi
  day=d${s%%T*}
  week=w$(date -u -d "@$e" +%G%V)
  month=m$(echo "$s" | cut -c1-6)
  if ! grep -qx "$day" "$W/seen"; then
    echo "$day" >>"$W/seen"
    days=$((days + 1))
    if [ "$days" -le "$KEEP_DAILY" ]; then keep=1; fi
  fi
  if ! grep -qx "$week" "$W/seen"; then
    echo "$week" >>"$W/seen"
    weeks=$((weeks + 1))
    if [ "$weeks" -le "$KEEP_WEEKLY" ]; then keep=1; fi
  fi
  if ! grep -qx "$month" "$W/seen"; then
    echo "$month" >>"$W/seen"
    months=$((months + 1))
    if [ "$months" -le "$KEEP_MONTHLY" ]; then keep=1; fi
  fi
  if [ "$keep" = 1 ]; then echo "$s" >>"$W/keep"; fi
done <"$W/complete"
# Incomplete backups are kept while they may still be in progress (the recent hours).
while IFS= read -r s; do
  if grep -qx "$s" "$W/complete"; then continue; fi
  e=$(date -u -d "$(echo "$s" | sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3 \4:\5:\6/')" +%s)
  if [ $((NOW - e)) -lt $((KEEP_RECENT_HOURS * 3600)) ]; then echo "$s" >>"$W/keep"; fi
done <"$W/stamps"
echo "$STAMP" >>"$W/keep"
deleted=0
while IFS= read -r s; do
  if grep -qx "$s" "$W/keep"; then continue; fi
  grep "^$S3_PREFIX/$s/" "$W/keys" | while IFS= read -r k; do s3 -X DELETE "$(url "$k")"; done
  deleted=$((deleted + 1))
done <"$W/stamps"
log "kept $(sort -u "$W/keep" | wc -l | tr -d ' ') backup(s), deleted $deleted"
ok=1
