#!/usr/bin/env bash
# Write a CycloneDX SBOM with forgegate. Inputs arrive only through FORGEGATE_* env variables.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin sbom)"

source=()
[[ -n "${FORGEGATE_LOCK:-}" ]] && source+=(--lock "$FORGEGATE_LOCK")
if [[ -n "${FORGEGATE_REQUIREMENTS:-}" ]]; then
  expand_globs sbom "$FORGEGATE_REQUIREMENTS"
  for file in "${EXPANDED[@]}"; do source+=(-r "$file"); done
fi
[[ -n "${FORGEGATE_ENVIRONMENT:-}" ]] && source+=(--environment "$FORGEGATE_ENVIRONMENT")
if [[ ${#source[@]} -eq 0 ]]; then
  echo "::error::forgegate sbom: give one of lock, requirements or environment" >&2
  exit 2
fi
output="${FORGEGATE_OUTPUT:-sbom.cdx.json}"
"$bin" sbom "${source[@]}" --format "${FORGEGATE_FORMAT:-json}" --output "$output"
echo "sbom=$output" >>"$GITHUB_OUTPUT"
