#!/usr/bin/env bash
# Run `forgegate check` with the action's inputs, which arrive only through FORGEGATE_* env
# variables (never interpolated into the script). Annotations go to stdout, the summary to
# $GITHUB_STEP_SUMMARY, outputs to $GITHUB_OUTPUT. Exits with forgegate's own code.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin check)"
sarif="${FORGEGATE_SARIF:-}"
if [[ -z "$sarif" ]]; then
  sarif="${RUNNER_TEMP:?RUNNER_TEMP is not set}/forgegate.sarif"
fi

manifest="${RUNNER_TEMP:?RUNNER_TEMP is not set}/forgegate-run.json"
report="$RUNNER_TEMP/forgegate.json"

args=(check "${FORGEGATE_PATH:-.}" --format github --sarif "$sarif" --json "$report"
  --summary "$GITHUB_STEP_SUMMARY" --github-output "$GITHUB_OUTPUT" --run-manifest "$manifest")
[[ -n "${FORGEGATE_POLICY:-}" ]] && args+=(--policy "$FORGEGATE_POLICY")
[[ -n "${FORGEGATE_ONLY:-}" ]] && args+=(--only "$FORGEGATE_ONLY")
[[ -n "${FORGEGATE_FAIL_ON:-}" ]] && args+=(--fail-on "$FORGEGATE_FAIL_ON")
[[ -n "${FORGEGATE_BASELINE:-}" ]] && args+=(--baseline "$FORGEGATE_BASELINE")
[[ -n "${FORGEGATE_BASE:-}" ]] && args+=(--base "$FORGEGATE_BASE")
if is_true "${FORGEGATE_STRICT:-false}"; then args+=(--strict); fi
if is_true "${FORGEGATE_CHANGED_ONLY:-false}"; then args+=(--changed-only); fi

printf 'run-manifest=%s\njson=%s\n' "$manifest" "$report" >>"$GITHUB_OUTPUT"
exec "$bin" "${args[@]}"
