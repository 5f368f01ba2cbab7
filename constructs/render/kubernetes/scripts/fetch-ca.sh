# Downloads a CA bundle over HTTPS into the job's in-memory volume, for the next container to verify
# a managed service's server certificate with (PostgreSQL: sslmode=verify-full sslrootcert=<file>).
# The download itself is verified against the curl image's CA store (CURL_CA_BUNDLE, Mozilla's
# roots): HTTPS only, TLS 1.2 or later, no redirect to anything else. A file without a certificate
# fails the job rather than leaving the next container to connect unverified.
#
# Env: CA_URL (https://...), CA_FILE (the path to write).
# Needs: sh, curl, grep (curlimages/curl has them).
set -eu
: "${CA_URL:?the bundle's https URL}" "${CA_FILE:?where to write it}"
curl -fsS --proto '=https' --tlsv1.2 --max-time 30 --retry 3 -o "$CA_FILE.part" "$CA_URL"
n=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$CA_FILE.part" || true)
if [ "${n:-0}" -lt 1 ]; then
  echo "fetch-ca: $CA_URL holds no PEM certificate" >&2
  exit 1
fi
mv "$CA_FILE.part" "$CA_FILE"
echo "fetch-ca: $n certificates from $CA_URL"
