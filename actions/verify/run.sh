#!/usr/bin/env bash
# Verify Sigstore bundles with forgegate. Inputs arrive only through FORGEGATE_* env variables.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
bin="${FORGEGATE_BIN:-}"
if [[ -z "$bin" ]]; then
  bin="$(command -v forgegate || true)"
fi
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "::error::forgegate verify: no forgegate executable; run actions/setup first and pass its 'bin' output as 'forgegate'" >&2
  exit 3
fi

flag() {
  case "$2" in
    true) args+=("$1") ;;
    false | "") ;;
    *)
      echo "::error::forgegate verify: '$2' is not a boolean (use true or false)" >&2
      exit 2
      ;;
  esac
}

shopt -s nullglob
artifacts=()
read -ra words <<<"${FORGEGATE_ARTIFACTS:-}"
for word in "${words[@]}"; do
  matches=($word)
  if [[ ${#matches[@]} -eq 0 ]]; then
    echo "::error::forgegate verify: '$word' matches no file" >&2
    exit 3
  fi
  artifacts+=("${matches[@]}")
done
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
flag --offline "${FORGEGATE_OFFLINE:-false}"
flag --allow-unsigned "${FORGEGATE_ALLOW_UNSIGNED:-false}"

status=0
"$bin" "${args[@]}" || status=$?
if [[ $status -eq 0 ]]; then echo "failed=false" >>"$GITHUB_OUTPUT"; else echo "failed=true" >>"$GITHUB_OUTPUT"; fi
exit "$status"
