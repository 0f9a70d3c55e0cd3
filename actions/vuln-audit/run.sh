#!/usr/bin/env bash
# Run `forgegate audit` with the action's inputs, which arrive only through FORGEGATE_* env
# variables. Annotations go to stdout, the summary to $GITHUB_STEP_SUMMARY, outputs to
# $GITHUB_OUTPUT. Exits with forgegate's own code (3 when the audit could not decide).
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin vuln-audit)"

source=()
if [[ -n "${FORGEGATE_REQUIREMENTS:-}" ]]; then
  expand_globs vuln-audit "$FORGEGATE_REQUIREMENTS"
  for file in "${EXPANDED[@]}"; do source+=(-r "$file"); done
fi
[[ -n "${FORGEGATE_LOCK:-}" ]] && source+=(--lock "$FORGEGATE_LOCK")
[[ -n "${FORGEGATE_ENV_PATH:-}" ]] && source+=(--path "$FORGEGATE_ENV_PATH")
if [[ ${#source[@]} -eq 0 ]] && is_true "${FORGEGATE_AUTO:-true}"; then
  for candidate in uv.lock poetry.lock pylock.toml; do
    if [[ -f "$candidate" ]]; then source=(--lock "$candidate"); break; fi
  done
  if [[ ${#source[@]} -eq 0 && -f requirements.txt ]]; then source=(-r requirements.txt); fi
  if [[ ${#source[@]} -eq 0 ]]; then
    echo "::notice::forgegate vuln-audit: no uv.lock, poetry.lock, pylock.toml or requirements.txt here; nothing to audit"
    printf 'failed=false\nfindings=0\nsarif=\n' >>"$GITHUB_OUTPUT"
    exit 0
  fi
  echo "forgegate vuln-audit: auditing ${source[*]}"
fi
if [[ ${#source[@]} -eq 0 ]]; then
  echo "::error::forgegate vuln-audit: give requirements, lock or path (or auto: true)" >&2
  exit 2
fi

sarif="${FORGEGATE_SARIF:-}"
if [[ -z "$sarif" ]]; then
  sarif="${RUNNER_TEMP:?RUNNER_TEMP is not set}/forgegate-audit.sarif"
fi
args=(audit "${source[@]}" --format github --sarif "$sarif" --summary "$GITHUB_STEP_SUMMARY"
  --github-output "$GITHUB_OUTPUT" --fail-on "${FORGEGATE_FAIL_ON:-any}")
[[ -n "${FORGEGATE_VULN_DB:-}" ]] && args+=(--vuln-db "$FORGEGATE_VULN_DB")
exec "$bin" "${args[@]}"
