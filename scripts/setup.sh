#!/usr/bin/env bash
# scripts/setup.sh — installs what Lightning needs to build, test and benchmark
# on Debian 12. Safe to run any number of times: it installs only what is
# missing. Runs as root, or through sudo otherwise.
#
# Downloads nothing but Debian packages (apt-get) and, for the Node tests, npm
# packages (npm install into tests/js/node_modules).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  # build
  cmake g++ make ninja-build pkg-config clang-format ccache
  # engine and extension
  libsqlite3-dev sqlite3 liblz4-dev libzstd-dev libxxhash-dev liburing-dev libhwy-dev
  # packaged helpers: JSON, command-line flags, ELF/DWARF symbols (libc's
  # internal function names in CPU profiles come from libc6-dbg)
  nlohmann-json3-dev libcli11-dev libdw-dev libc6-dbg
  # tests
  libgtest-dev python3-pytest python3-prometheus-client python3-cram
  # bench: the engines we compare against
  liblmdb-dev librocksdb-dev libleveldb-dev
  # fuzzing: clang plus its runtime (libFuzzer), which clang only recommends
  clang libclang-rt-14-dev
)

say() { echo "setup: $*"; }

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  SUDO=()  # nothing to escalate with; apt-get will say why it fails
fi

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  say "Debian packages: all ${#PACKAGES[@]} present"
else
  say "apt-get update"
  "${SUDO[@]}" apt-get update -qq
  say "installing ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f tests/js/package.json ]]; then
  say "npm: no tests/js/package.json, skipped"
elif ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "npm: node or npm not found, Node tests cannot run"
elif [[ -d tests/js/node_modules ]]; then
  say "npm: tests/js/node_modules present"
else
  say "npm install --prefix tests/js"
  npm install --prefix tests/js --no-audit --no-fund
fi
