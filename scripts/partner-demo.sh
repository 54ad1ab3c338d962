#!/usr/bin/env bash
# What a partner's integration does, with curl only, against `make run`:
# the customer's consent (driven here through the same forms a browser submits), then the
# token exchange and the partner API. Usage: scripts/partner-demo.sh [base-url] [tenant]
# With RENKEI_DEMO_TLS=.data/tls the partner is demo-kakeibo-mtls: it authenticates with its
# certificate (tls_client_auth) at https://127.0.0.1:8443 and its tokens are bound to it.
set -euo pipefail
BASE="${1:-http://127.0.0.1:8080}"
TENANT="${2:-kitami}"
CLIENT=demo-kakeibo SECRET=demo-kakeibo-secret REDIRECT=http://127.0.0.1:8765/callback
PARTNER_BASE="$BASE" client_auth=(-u "$CLIENT:$SECRET") partner=()
if [[ -n "${RENKEI_DEMO_TLS:-}" ]]; then
  CLIENT=demo-kakeibo-mtls PARTNER_BASE="${RENKEI_DEMO_HTTPS:-https://127.0.0.1:8443}"
  partner=(--cert "$RENKEI_DEMO_TLS/partner.pem" --key "$RENKEI_DEMO_TLS/partner-key.pem"
           --cacert "$RENKEI_DEMO_TLS/ca.pem")
  client_auth=(-d client_id=$CLIENT)
fi
LOGIN="${RENKEI_DEMO_LOGIN:-Yamada01}" PASSWORD="${RENKEI_DEMO_PASSWORD:-Shinkin-2026!}"
jar="$(mktemp)"; trap 'rm -f "$jar"' EXIT
say() { printf '\n==> %s\n' "$*"; }
csrf() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1; }

verifier="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
challenge="$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')"

say "the partner sends the customer to the institution's authorization endpoint"
curl -s -o /dev/null -c "$jar" -b "$jar" -G "$BASE/t/$TENANT/oauth/authorize" \
  --data-urlencode response_type=code --data-urlencode client_id=$CLIENT \
  --data-urlencode redirect_uri=$REDIRECT --data-urlencode "scope=balance:read transactions:read" \
  --data-urlencode state=demo-state --data-urlencode code_challenge="$challenge" \
  --data-urlencode code_challenge_method=S256
token="$(curl -s -c "$jar" -b "$jar" "$BASE/t/$TENANT/oauth/login" | csrf)"
say "the customer logs in as $LOGIN and allows access"
curl -s -o /dev/null -c "$jar" -b "$jar" "$BASE/t/$TENANT/oauth/login" \
  --data-urlencode csrf="$token" --data-urlencode login_id="$LOGIN" \
  --data-urlencode password="$PASSWORD" --data-urlencode action=login
page="$(curl -s -c "$jar" -b "$jar" "$BASE/t/$TENANT/oauth/consent")"
token="$(printf '%s' "$page" | csrf)"
accounts=()
while read -r a; do accounts+=(--data-urlencode "accounts=$a"); done \
  < <(printf '%s' "$page" | sed -n 's/.*name="accounts" value="\([0-9]*\)".*/\1/p')
location="$(curl -s -o /dev/null -w '%{redirect_url}' -c "$jar" -b "$jar" "$BASE/t/$TENANT/oauth/consent" \
  --data-urlencode csrf="$token" --data-urlencode agree=yes --data-urlencode action=allow "${accounts[@]}")"
echo "redirected to: $location"
code="$(printf '%s' "$location" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')"

say "POST $PARTNER_BASE/t/$TENANT/oauth/token (authorization_code, as $CLIENT)"
tokens="$(curl -s "${partner[@]}" "${client_auth[@]}" "$PARTNER_BASE/t/$TENANT/oauth/token" \
  -d grant_type=authorization_code -d code="$code" --data-urlencode redirect_uri=$REDIRECT \
  -d code_verifier="$verifier")"
echo "$tokens"
access="$(printf '%s' "$tokens" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')"

say "GET /api/v1/accounts"
api() { curl -s "${partner[@]}" -H "Authorization: Bearer $access" "$PARTNER_BASE/t/$TENANT/api/v1/$1"; }
api accounts; echo
say "GET /api/v1/accounts/balances"
api accounts/balances; echo
first="$(api accounts | sed -n 's/.*"accountId":"\([0-9]*\)".*/\1/p' | head -n1)"
say "GET /api/v1/accounts/transactions?accountId=$first (this month)"
api "accounts/transactions?accountId=$first&dateFrom=$(date +%Y-%m-01)"; echo
if (( ${#partner[@]} )); then
  say "the same token without the certificate is refused (RFC 8705 certificate-bound token)"
  curl -s -H "Authorization: Bearer $access" "$BASE/t/$TENANT/api/v1/accounts/balances"; echo
fi
