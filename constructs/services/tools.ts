/**
 * Tool images several services' jobs share (setup scripts, backup steps). Pure data.
 */

/** The curl project's own image (Alpine, busybox sh/awk): runs setup scripts and the backups' upload. */
export const CURL_IMAGE = 'curlimages/curl:8.22.0';

/**
 * The start of a job script that calls an HTTP API as a service's administrator with curl: strict
 * shell, a private scratch directory removed on exit, and curl's config file there (0600) holding
 * the administrator from `$MASTER_DIR/{username,password}` (never on argv), quiet but failing with
 * the body, retrying for a service that is still starting, JSON bodies.
 */
export function curlAdminPreamble(): string[] {
  return [
    '#!/bin/sh',
    'set -eu',
    'umask 077',
    'W=$(mktemp -d)',
    'trap \'rm -rf "$W"\' EXIT',
    '{',
    '  printf \'user = "%s:%s"\\n\' "$(cat "$MASTER_DIR/username")" "$(cat "$MASTER_DIR/password")"',
    "  echo 'silent'",
    "  echo 'show-error'",
    "  echo 'fail-with-body'",
    "  echo 'retry = 10'",
    "  echo 'retry-all-errors'",
    "  echo 'connect-timeout = 10'",
    '  echo \'header = "Content-Type: application/json"\'',
    '} >"$W/cfg"',
  ];
}
