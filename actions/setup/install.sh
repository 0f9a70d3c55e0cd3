#!/usr/bin/env bash
# Install forgegate from this checkout into $RUNNER_TEMP/forgegate-venv, hash-pinned.
# Writes `bin=<path to forgegate>` to $GITHUB_OUTPUT. Inputs arrive through the environment.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${RUNNER_TEMP:?RUNNER_TEMP is not set: run this inside GitHub Actions or the test harness}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
python="${FORGEGATE_PYTHON:-python3}"
venv="$RUNNER_TEMP/forgegate-venv"
bindir="$venv/bin"
if [[ "${RUNNER_OS:-}" == "Windows" ]]; then
  bindir="$venv/Scripts"
fi

if ! command -v "$python" >/dev/null 2>&1; then
  echo "::error::forgegate setup: Python interpreter '$python' not found; run actions/setup-python first or set the 'python' input" >&2
  exit 3
fi

"$python" -m venv "$venv"
pip=("$bindir/python" -m pip --disable-pip-version-check --quiet)
"${pip[@]}" install --require-hashes --no-deps --only-binary=:all: -r "$root/requirements/action.txt"
"${pip[@]}" install --no-deps --no-build-isolation --no-index "$root"
"$bindir/forgegate" --version
echo "bin=$bindir/forgegate" >>"$GITHUB_OUTPUT"
