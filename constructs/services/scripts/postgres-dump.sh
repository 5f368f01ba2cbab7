#!/bin/sh
# postgres-dump.sh: a logical backup of the whole server while it serves, with PostgreSQL's own tools:
#   globals.sql      pg_dumpall --globals-only: roles (without their passwords: the apply-roles job
#                    sets the current ones after a restore), tablespaces
#   <database>.dump  pg_dump -Fc of every database that accepts connections (one consistent snapshot
#                    each), checked with pg_restore --list
# It connects over the network as the owner (the superuser the image creates), with the password
# from OWNER_PASSWORD_FILE in this process's environment only (never on a command line).
# Restore (docs/operations.md): psql -f globals.sql, then pg_restore --create --clean --if-exists -d postgres <database>.dump.
set -eu

BACKUP_DIR=${BACKUP_DIR:?directory for the dump}
PGHOST=${PGHOST:?server}
PGPORT=${PGPORT:-5432}
PGUSER=${POSTGRES_USER:?the owner}
PGPASSWORD=$(cat "${OWNER_PASSWORD_FILE:?password file of the owner}")
export PGHOST PGPORT PGUSER PGPASSWORD
export PGDATABASE=${POSTGRES_DB:?database of the owner}
export PGCONNECT_TIMEOUT=10

for attempt in $(seq 1 30); do
  pg_isready -q && break
  [ "$attempt" -eq 30 ] && { echo "postgres-dump: the server at $PGHOST:$PGPORT does not answer" >&2; exit 1; }
  sleep 2
done

pg_dumpall --globals-only --no-role-passwords --file="$BACKUP_DIR/globals.sql"
psql -X -At -v ON_ERROR_STOP=1 \
  -c "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname" >"$BACKUP_DIR/.databases"
[ -s "$BACKUP_DIR/.databases" ] || { echo "postgres-dump: no database listed" >&2; exit 1; }
while IFS= read -r db; do
  pg_dump --format=custom --no-password --file="$BACKUP_DIR/$db.dump" --dbname="$db"
  pg_restore --list "$BACKUP_DIR/$db.dump" >/dev/null
  echo "postgres-dump: $db: $(wc -c <"$BACKUP_DIR/$db.dump" | tr -d ' ') bytes" >&2
done <"$BACKUP_DIR/.databases"
rm -f "$BACKUP_DIR/.databases"
