#!/usr/bin/env bash
# The Dev Containers CLI (`devcontainer`), for the integration tests of the generated
# .devcontainer configs. Installs Node.js/npm (Debian's, host release, no
# recommends; root) when absent, then the CLI with `npm install -g` (into npm's
# global prefix, /usr/local: /usr/local/bin/devcontainer).
set -euo pipefail
if command -v devcontainer >/dev/null 2>&1; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-remove \
      nodejs npm >/dev/null
  else
    echo "ensure-devcontainer-cli: install Node.js and npm, then: npm install -g @devcontainers/cli" >&2
    exit 1
  fi
fi
npm install -g --silent @devcontainers/cli >&2
command -v devcontainer >/dev/null
