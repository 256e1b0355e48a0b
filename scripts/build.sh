#!/usr/bin/env bash
# scripts/build.sh [release|asan|tsan] — configures and builds one flavour.
#
#   release  build/       -DCMAKE_BUILD_TYPE=Release              (the default)
#   asan     build-asan/  ASan + UBSan, RelWithDebInfo, no bench/
#   tsan     build-tsan/  TSan, RelWithDebInfo, no bench/
#
# LIGHTNING_BUILD_DIR overrides the directory. Uses Ninja when present.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

flavour=${1:-release}
case $flavour in
  release)
    dir=build
    args=(-DCMAKE_BUILD_TYPE=Release)
    ;;
  asan)
    dir=build-asan
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIGHTNING_SANITIZE=address -DLIGHTNING_BUILD_BENCH=OFF)
    ;;
  tsan)
    dir=build-tsan
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIGHTNING_SANITIZE=thread -DLIGHTNING_BUILD_BENCH=OFF)
    ;;
  *)
    echo "usage: scripts/build.sh [release|asan|tsan]" >&2
    exit 2
    ;;
esac
dir=${LIGHTNING_BUILD_DIR:-$dir}

# The generator is fixed when a directory is first configured; asking for
# another one later is an error, so choose it only then.
if [[ ! -f $dir/CMakeCache.txt ]] && command -v ninja >/dev/null; then
  args+=(-G Ninja)
fi

# ccache (installed by setup.sh) makes rebuilds of unchanged files free.
if command -v ccache >/dev/null; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

echo "build: $flavour in $dir/"
cmake -S . -B "$dir" "${args[@]}"
cmake --build "$dir" -j "$(nproc)"
