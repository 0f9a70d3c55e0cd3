#!/usr/bin/env bash
# Publish a forgegate JSON report to GitHub. Inputs arrive only through FORGEGATE_* env
# variables; the token stays in FORGEGATE_TOKEN (forgegate reads it by name, never prints it).
set -euo pipefail

# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin report)"

if [[ -z "${FORGEGATE_REPORT:-}" ]]; then
  echo "::error::forgegate report: no report given (pass the json output of actions/check)" >&2
  exit 2
fi
args=(report github --report "$FORGEGATE_REPORT" --name "${FORGEGATE_NAME:-forgegate findings}"
  --mode "${FORGEGATE_MODE:-check-run}" --token-env FORGEGATE_TOKEN)
[[ -n "${FORGEGATE_BASE_URL:-}" ]] && args+=(--base-url "$FORGEGATE_BASE_URL")
if is_true "${FORGEGATE_PR_COMMENT:-false}"; then args+=(--pr-comment); fi
exec "$bin" "${args[@]}"
