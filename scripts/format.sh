#!/usr/bin/env bash
# scripts/format.sh [--check] — clang-format every C/C++ source the repository
# tracks, in place (the default) or as a check that lists the files that differ
# from .clang-format and exits 1 (what scripts/test.sh runs first).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-fix}
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.c')
if [[ $mode == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if ((${#bad[@]})); then
    echo "format: ${#bad[@]} of ${#files[@]} files differ from .clang-format (fix: scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files match .clang-format"
elif [[ $mode == fix ]]; then
  clang-format -i "${files[@]}"
else
  echo "usage: scripts/format.sh [--check]" >&2
  exit 2
fi
