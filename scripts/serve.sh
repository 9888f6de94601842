#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then serves the web app from build/site.
#   PORT=8080 HOST=127.0.0.1 bash scripts/serve.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/node-env.sh && genlab_node_check   # the Node that setup installed, if it had to
exec node scripts/static-server.mjs build/site --port "${PORT:-8080}" --host "${HOST:-127.0.0.1}"
