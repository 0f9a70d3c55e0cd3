#!/usr/bin/env bash
# release-gate.yml: verify every bundle just written against the signing identity of this
# reusable workflow run for this repository (a certificate for another workflow, or for another
# repository calling it, fails), and the DSSE provenance against every build file it names.
# Nothing is released unless all verify.
set -euo pipefail

: "${DIST:?DIST is not set}"
: "${FORGEGATE_SIGNER_REPOSITORY:?FORGEGATE_SIGNER_REPOSITORY is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin release)"

: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
who=(--repo "$GITHUB_REPOSITORY" --signer-repo "$FORGEGATE_SIGNER_REPOSITORY"
  --signer-workflow .github/workflows/release-gate.yml)
trust=()
if is_true "${FORGEGATE_VERIFY_OFFLINE:-false}"; then trust=(--offline); fi  # air-gapped runners

signed=()
for bundle in "$DIST"/*.sigstore.json; do
  artifact="${bundle%.sigstore.json}"
  [[ "$artifact" == "$DIST/provenance.intoto.json" ]] || signed+=("$artifact")
done
"$bin" verify "${signed[@]}" "${who[@]}" "${trust[@]}" --format github
# the provenance is a DSSE envelope: it must verify against each build file, which it names
read -ra build <<<"${FORGEGATE_BUILD:?FORGEGATE_BUILD is not set}"
for file in "${build[@]}"; do
  "$bin" verify "$file" --bundle "$DIST/provenance.intoto.json.sigstore.json" "${who[@]}" \
    "${trust[@]}" --format github
done
