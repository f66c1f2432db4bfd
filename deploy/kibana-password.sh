#!/usr/bin/env bash
# One-shot `kibana-password` service: set the kibana_system user's password to KIBANA_PASSWORD,
# as the elastic user. Retries while Elasticsearch does not accept it yet; stops at once on a
# rejected login, and after KIBANA_PASSWORD_TRIES attempts.
set -euo pipefail

: "${ELASTIC_PASSWORD:?set ELASTIC_PASSWORD}"
: "${KIBANA_PASSWORD:?set KIBANA_PASSWORD}"
es_url="${ELASTICSEARCH_URL:-https://elasticsearch:9200}"
ca="${CA_CERT:-${ES_HOME:-/usr/share/elasticsearch}/config/certs/ca/ca.crt}"
tries="${KIBANA_PASSWORD_TRIES:-120}"

# JSON string escaping for the two characters a password may hold that JSON forbids raw
password="${KIBANA_PASSWORD//\\/\\\\}"
password="${password//\"/\\\"}"
body="{\"password\":\"$password\"}"

for ((attempt = 1; attempt <= tries; attempt++)); do
  status=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" \
    -u "elastic:$ELASTIC_PASSWORD" -H 'Content-Type: application/json' \
    -X POST "$es_url/_security/user/kibana_system/_password" -d "$body") || status="000"
  case "$status" in
    200)
      echo "kibana-password: kibana_system password set"
      exit 0
      ;;
    401 | 403)
      echo "kibana-password: Elasticsearch refused user elastic (HTTP $status); check ELASTIC_PASSWORD in .env" >&2
      exit 1
      ;;
  esac
  echo "kibana-password: Elasticsearch answered ${status}; attempt $attempt of $tries, retrying in 5 s" >&2
  sleep 5
done
echo "kibana-password: gave up after $tries attempts" >&2
exit 1
