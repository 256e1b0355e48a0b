#!/usr/bin/env bash
# scripts/demo.sh — sets everything up, builds the release flavour and runs the
# demo: sql/examples/demo.sql in the sqlite3 shell (it loads ./build/lightning).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
scripts/build.sh release

if [[ -f build/lightning.so && -f sql/examples/demo.sql ]]; then
  echo "demo: sqlite3 :memory: < sql/examples/demo.sql"
  exec sqlite3 :memory: < sql/examples/demo.sql
fi

# Until the extension lands: the engine on its own. Remove this fallback then.
echo "demo: no build/lightning.so or sql/examples/demo.sql yet; running the engine example"
exec build/examples/engine_example
