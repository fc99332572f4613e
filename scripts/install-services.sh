#!/usr/bin/env bash
# Installs from Debian's archive the services the real-services test fixture starts itself when
# none is running (packages/server/test/support/clickhouse.ts): ClickHouse's server, which Debian
# packages as clickhouse-server (18.16); and nginx, which the proxy cluster test starts in front of
# three nodes (packages/server/test/support/nginx.ts). Anything already installed is left alone.
# Needs root (or sudo); safe to run again.
set -euo pipefail

installed() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
installed clickhouse-server || missing+=(clickhouse-server)
installed nginx || missing+=(nginx)
# promtool (Prometheus' own text parser) checks the metrics endpoint's output in test/ops.
installed promtool || missing+=(prometheus)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-services: nothing to install"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "install-services: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
# The package's own service start is not needed (the fixture starts a throw-away server) and is
# refused on machines without an init system; that refusal is not an error.
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
