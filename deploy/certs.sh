#!/usr/bin/env bash
# One-shot `certs` service: a CA and the certificate of the `elasticsearch` node, in the certs
# volume, made once and kept across restarts. Exits non-zero unless the files the node and its
# clients read (ca/ca.crt, elasticsearch/elasticsearch.crt and .key) are there afterwards.
set -euo pipefail

es_home="${ES_HOME:-/usr/share/elasticsearch}"
certs="${CERTS_DIR:-$es_home/config/certs}"
owner="${CERTS_OWNER:-1000:0}" # the uid the elasticsearch and kibana images run as
certutil="$es_home/bin/elasticsearch-certutil"
mkdir -p "$certs"

if [ ! -f "$certs/ca/ca.crt" ]; then
  rm -f "$certs/ca.zip" # certutil will not overwrite a bundle a failed run left behind
  "$certutil" ca --silent --pem --out "$certs/ca.zip"
  unzip -q -o "$certs/ca.zip" -d "$certs"
fi

if [ ! -f "$certs/elasticsearch/elasticsearch.crt" ]; then
  cat >"$certs/instances.yml" <<'YAML'
instances:
  - name: elasticsearch
    dns: [elasticsearch, localhost]
    ip: [127.0.0.1]
YAML
  rm -f "$certs/certs.zip"
  "$certutil" cert --silent --pem --out "$certs/certs.zip" --in "$certs/instances.yml" \
    --ca-cert "$certs/ca/ca.crt" --ca-key "$certs/ca/ca.key"
  unzip -q -o "$certs/certs.zip" -d "$certs"
fi

for file in ca/ca.crt elasticsearch/elasticsearch.crt elasticsearch/elasticsearch.key; do
  if [ ! -s "$certs/$file" ]; then
    echo "certs: $certs/$file is missing after elasticsearch-certutil" >&2
    exit 1
  fi
done
chown -R "$owner" "$certs"
echo "certs: CA and node certificate ready in $certs"
