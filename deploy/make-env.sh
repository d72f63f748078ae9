#!/bin/sh
# Writes deploy/.env for compose.yaml: the two settings a clinic chooses (its domain and the email
# Let's Encrypt writes to) and fresh random secrets for everything else.
#   ./make-env.sh parley.your-clinic.example you@your-clinic.example > .env && chmod 600 .env
set -eu
if [ $# -ne 2 ]; then
  echo "usage: $0 <domain> <email for Let's Encrypt>   e.g. $0 parley.your-clinic.example you@your-clinic.example" >&2
  exit 2
fi
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
cat <<ENV
# Parley for $1 (deploy/compose.yaml). Keep this file private and backed up: the secrets below
# protect sessions and stored documents. SMTP_URL (smtp://user:pass@host:587) mails staff links.
PARLEY_DOMAIN=$1
ACME_EMAIL=$2
SMTP_URL=
SMTP_FROM=
AUTH_SECRET=$(hex 48)
POSTGRES_PASSWORD=$(hex 24)
S3_ACCESS_KEY_ID=GK$(hex 12)
S3_SECRET_ACCESS_KEY=$(hex 32)
GARAGE_RPC_SECRET=$(hex 32)
TURN_SECRET=$(hex 32)
ENV
