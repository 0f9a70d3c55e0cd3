#!/usr/bin/env bash
# release-gate.yml: attach the released files to the GitHub release of the tag with the gh CLI
# (preinstalled on GitHub-hosted runners); GH_TOKEN comes from the job, never printed.
set -euo pipefail

: "${FORGEGATE_TAG:?FORGEGATE_TAG is not set}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}"
mapfile -t files <<<"${FORGEGATE_FILES:-}"
if [[ ${#files[@]} -eq 0 || -z "${files[0]}" ]]; then
  echo "::error::forgegate release: nothing to upload" >&2
  exit 3
fi
if ! gh release view "$FORGEGATE_TAG" --repo "$GITHUB_REPOSITORY" >/dev/null; then
  echo "::error::forgegate release: no GitHub release for tag '$FORGEGATE_TAG'; create it before calling release-gate.yml" >&2
  exit 3
fi
gh release upload "$FORGEGATE_TAG" "${files[@]}" --repo "$GITHUB_REPOSITORY" --clobber
