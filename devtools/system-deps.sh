#!/usr/bin/env bash
# Make sure the Debian packages named as arguments are present: install the missing ones with
# apt-get when running as root, otherwise stop with one line naming them. Also checks the JDK.
# Used by `make test` and `make demo`; a package counts as present when the file the suite uses exists.
set -euo pipefail

present() {
  case "$1" in
    python3-venv) "${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null ;;
    maven) command -v mvn >/dev/null ;;
    chromium) [ -x /usr/bin/chromium ] ;;
    chromium-driver) [ -x /usr/bin/chromedriver ] ;;
    shellcheck) command -v shellcheck >/dev/null ;;
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
    nginx) [ -x /usr/sbin/nginx ] ;;
    *) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' ;;
  esac
}

missing=()
for package in "$@"; do
  present "$package" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "system-deps: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "system-deps: missing Debian packages; install them first: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# The embedded ES 9 node needs JDK 21+, which Debian 12 does not package: it must be there already.
if [ -z "${ELASTICSEARCH_URL:-}" ]; then
  jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
  major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release" 2>/dev/null || true)
  if [ ! -x "$jdk/bin/java" ] || [ "${major:-0}" -lt 21 ]; then
    echo "system-deps: no JDK 21+ at $jdk (Elasticsearch 9 needs one); set JAVA_HOME to a JDK 21+" >&2
    exit 1
  fi
fi
