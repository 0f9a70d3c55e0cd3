#!/usr/bin/env bash
# Create or verify SHA256SUMS with forgegate. Inputs arrive only through FORGEGATE_* env
# variables; FORGEGATE_FILES is split on whitespace and each word expanded as a glob (a word
# that matches nothing is an error: an artifact that is not there cannot be checksummed).
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin checksums)"
manifest="${FORGEGATE_MANIFEST:-SHA256SUMS}"
expand_globs checksums "${FORGEGATE_FILES:-}"
files=("${EXPANDED[@]}")
if [[ ${#files[@]} -eq 0 && "${FORGEGATE_MODE:-}" == "create" ]]; then
  echo "::error::forgegate checksums: no files given" >&2
  exit 2
fi
echo "manifest=$manifest" >>"$GITHUB_OUTPUT"

case "${FORGEGATE_MODE:-}" in
  create)
    "$bin" checksums create "${files[@]}" --output "$manifest"
    echo "failed=false" >>"$GITHUB_OUTPUT"
    ;;
  verify)
    args=(checksums verify --manifest "$manifest" --format github)
    if is_true "${FORGEGATE_ALLOW_MISSING:-false}"; then args+=(--allow-missing-manifest); fi
    status=0
    "$bin" "${args[@]}" "${files[@]}" || status=$?
    if [[ $status -eq 0 ]]; then echo "failed=false" >>"$GITHUB_OUTPUT"; else echo "failed=true" >>"$GITHUB_OUTPUT"; fi
    exit "$status"
    ;;
  *)
    echo "::error::forgegate checksums: mode must be create or verify, not '${FORGEGATE_MODE:-}'" >&2
    exit 2
    ;;
esac
