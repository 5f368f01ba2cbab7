#!/bin/sh
# fetch-secret.sh: reads a JSON secret ({"username": ..., "password": ...}) from AWS Secrets Manager
# with the pod's own EKS Pod Identity credentials and writes its two fields as files (0400, no
# trailing newline) into OUT_DIR, for the job's next container. Nothing is put on argv or in logs.
#
#   SECRET_ARN   the secret (GetSecretValue)
#   AWS_REGION   its region (the endpoint secretsmanager.<region>.amazonaws.com)
#   OUT_DIR      where `username` and `password` go (an in-memory emptyDir)
#   AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (set by EKS Pod Identity)
#   SECRET_RESPONSE_FILE (verify only): a stored GetSecretValue response instead of the call
#
# JSON strings are decoded in full (\" \\ \/ \b \f \n \r \t and \u00XX for ASCII); anything else
# (a value outside ASCII, a missing field) fails the job rather than writing a wrong password.
# Needs: sh, curl (--aws-sigv4), awk (curlimages/curl has them).
set -eu

SECRET_ARN=${SECRET_ARN:?the secret ARN}
AWS_REGION=${AWS_REGION:?the region}
OUT_DIR=${OUT_DIR:?the output directory}

log() { echo "fetch-secret: $*" >&2; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
umask 077

# field FILE KEY -> the decoded string value of the first "KEY": "..." in FILE (exit 2 when absent)
field() {
  awk -v key="$2" '
    function hexval(h,   i, c, v) {
      v = 0; h = tolower(h)
      if (length(h) != 4) return -1
      for (i = 1; i <= 4; i++) { c = index("0123456789abcdef", substr(h, i, 1)); if (c == 0) return -1; v = v * 16 + c - 1 }
      return v
    }
    { text = text $0 "\n" }
    END {
      pat = "\"" key "\""
      p = index(text, pat)
      if (p == 0) exit 2
      rest = substr(text, p + length(pat))
      if (!sub(/^[ \t\r\n]*:[ \t\r\n]*"/, "", rest)) exit 2
      out = ""; n = length(rest); i = 1
      while (i <= n) {
        c = substr(rest, i, 1)
        if (c == "\"") { printf "%s", out; exit 0 }
        if (c == "\\") {
          e = substr(rest, i + 1, 1)
          if (e == "\"" || e == "\\" || e == "/") out = out e
          else if (e == "n") out = out "\n"
          else if (e == "t") out = out "\t"
          else if (e == "r") out = out "\r"
          else if (e == "b") out = out "\b"
          else if (e == "f") out = out "\f"
          else if (e == "u") { v = hexval(substr(rest, i + 2, 4)); if (v < 1 || v > 127) exit 3; out = out sprintf("%c", v); i += 4 }
          else exit 3
          i += 2
          continue
        }
        out = out c; i++
      }
      exit 2
    }' "$1"
}

if [ -n "${SECRET_RESPONSE_FILE:-}" ]; then
  cp "$SECRET_RESPONSE_FILE" "$W/response"
else
  printf 'Authorization: %s\n' "$(cat "${AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:?token file (EKS Pod Identity)}")" >"$W/agent"
  curl -fsS --max-time 10 --retry 3 -H @"$W/agent" "${AWS_CONTAINER_CREDENTIALS_FULL_URI:?credentials URI (EKS Pod Identity)}" >"$W/creds"
  key_id=$(field "$W/creds" AccessKeyId) || { log "no AccessKeyId from the Pod Identity agent"; exit 1; }
  secret=$(field "$W/creds" SecretAccessKey) || { log "no SecretAccessKey from the Pod Identity agent"; exit 1; }
  token=$(field "$W/creds" Token) || token=""
  {
    echo 'silent'
    echo 'show-error'
    echo 'fail'
    echo 'retry = 3'
    echo 'connect-timeout = 10'
    printf 'user = "%s:%s"\n' "$key_id" "$secret"
    printf 'aws-sigv4 = "aws:amz:%s:secretsmanager"\n' "$AWS_REGION"
    echo 'header = "Content-Type: application/x-amz-json-1.1"'
    echo 'header = "X-Amz-Target: secretsmanager.GetSecretValue"'
    [ -z "$token" ] || printf 'header = "x-amz-security-token: %s"\n' "$token"
  } >"$W/cfg"
  unset secret token
  printf '{"SecretId":"%s"}' "$SECRET_ARN" >"$W/request"
  curl -K "$W/cfg" --data-binary @"$W/request" "https://secretsmanager.$AWS_REGION.amazonaws.com/" >"$W/response"
fi

field "$W/response" SecretString >"$W/secret" || { log "the response has no SecretString"; exit 1; }
field "$W/secret" username >"$OUT_DIR/username" || { log "the secret has no username"; exit 1; }
field "$W/secret" password >"$OUT_DIR/password" || { log "the secret has no password"; exit 1; }
[ -s "$OUT_DIR/password" ] || { log "the secret's password is empty"; exit 1; }
chmod 0400 "$OUT_DIR/username" "$OUT_DIR/password"
log "wrote username and password of the secret"
