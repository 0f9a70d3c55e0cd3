#!/usr/bin/env bash
# Verify Sigstore bundles with forgegate. Inputs arrive only through FORGEGATE_* env variables.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin verify)"

expand_globs verify "${FORGEGATE_ARTIFACTS:-}"
artifacts=("${EXPANDED[@]}")
if [[ ${#artifacts[@]} -eq 0 ]]; then
  echo "::error::forgegate verify: no artifacts given" >&2
  exit 2
fi

args=(verify "${artifacts[@]}" --format github)
[[ -n "${FORGEGATE_REPO:-}" ]] && args+=(--repo "$FORGEGATE_REPO")
[[ -n "${FORGEGATE_WORKFLOW:-}" ]] && args+=(--workflow "$FORGEGATE_WORKFLOW")
[[ -n "${FORGEGATE_REF_REGEXP:-}" ]] && args+=(--ref-regexp "$FORGEGATE_REF_REGEXP")
[[ -n "${FORGEGATE_IDENTITY:-}" ]] && args+=(--cert-identity "$FORGEGATE_IDENTITY")
[[ -n "${FORGEGATE_ISSUER:-}" ]] && args+=(--cert-oidc-issuer "$FORGEGATE_ISSUER")
if is_true "${FORGEGATE_OFFLINE:-false}"; then args+=(--offline); fi
if is_true "${FORGEGATE_ALLOW_UNSIGNED:-false}"; then args+=(--allow-unsigned); fi

status=0
"$bin" "${args[@]}" || status=$?
if [[ $status -eq 0 ]]; then echo "failed=false" >>"$GITHUB_OUTPUT"; else echo "failed=true" >>"$GITHUB_OUTPUT"; fi
exit "$status"
