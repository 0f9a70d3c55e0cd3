#!/usr/bin/env bash
# Sign files with forgegate (keyless Sigstore). Inputs arrive only through FORGEGATE_* env
# variables; the OIDC token is fetched by forgegate from the runner, never passed around.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin sign)"

expand_globs sign "${FORGEGATE_FILES:-}"
files=("${EXPANDED[@]}")
if [[ ${#files[@]} -eq 0 ]]; then
  echo "::error::forgegate sign: no files given" >&2
  exit 2
fi

args=(sign "${files[@]}")
if is_true "${FORGEGATE_DSSE:-false}"; then args+=(--dsse); fi
if is_true "${FORGEGATE_OVERWRITE:-false}"; then args+=(--overwrite); fi
if is_true "${FORGEGATE_STAGING:-false}"; then args+=(--staging); fi

"$bin" "${args[@]}"
{
  echo "bundles<<FORGEGATE_EOF"
  for file in "${files[@]}"; do echo "$file.sigstore.json"; done
  echo "FORGEGATE_EOF"
} >>"$GITHUB_OUTPUT"
