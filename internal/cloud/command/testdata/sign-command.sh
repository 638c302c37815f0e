#!/bin/sh
# sign-command.sh prints a signed aura-edge command envelope on stdout.
# Needs OpenSSL 3 and GNU date. Inputs (environment):
#   KEY       Ed25519 private key, PEM (openssl genpkey -algorithm ed25519 -out key.pem)
#   STORE_ID  the store the command is for, e.g. store-1
#   TYPE      the command type, e.g. print
#   DATA      the data member exactly as it will appear, e.g. {"printer":"front"}
#   ID, TIME, EXPIRES  optional: default a random id, now, and now + 5 minutes
set -eu
: "${ID:=$(openssl rand -hex 16)}"
: "${TIME:=$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
: "${EXPIRES:=$(date -u -d "@$(($(date +%s) + 300))" +%Y-%m-%dT%H:%M:%SZ)}"
DATA_SHA256=$(printf '%s' "$DATA" | openssl dgst -sha256 -r | cut -c1-64)
KEYID=$(openssl pkey -in "$KEY" -pubout -outform DER | tail -c 32 | openssl dgst -sha256 -r | cut -c1-16)
SIGNED=$(mktemp)
trap 'rm -f "$SIGNED"' EXIT
printf 'aura-cmd-v1\n%s\n%s\n%s\n%s\n%s\n%s' "$ID" "$TYPE" "$STORE_ID" "$TIME" "$EXPIRES" "$DATA_SHA256" >"$SIGNED"
SIG=$(openssl pkeyutl -sign -inkey "$KEY" -rawin -in "$SIGNED" | openssl base64 -A)
printf '{"specversion":"1.0","id":"%s","source":"aura-cloud","type":"%s","time":"%s","expires":"%s","keyid":"%s","signature":"%s","datacontenttype":"application/json","data":%s}\n' \
	"$ID" "$TYPE" "$TIME" "$EXPIRES" "$KEYID" "$SIG" "$DATA"
