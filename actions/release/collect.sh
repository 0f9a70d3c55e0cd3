#!/usr/bin/env bash
# release-gate.yml: beside the downloaded build files in $DIST, write the provenance (subjects:
# the build files), SHA256SUMS and, when a lock file is named, the SBOM. Outputs the files to
# sign, the provenance statement, and every file to release.
set -euo pipefail

: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
: "${DIST:?DIST is not set}"
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
bin="$(forgegate_bin release)"

shopt -s nullglob
build=("$DIST"/*)
shopt -u nullglob
if [[ ${#build[@]} -eq 0 ]]; then
  echo "::error::forgegate release: the artifact holds no files; nothing to release" >&2
  exit 3
fi
for file in "${build[@]}"; do
  if [[ ! -f "$file" ]]; then
    echo "::error::forgegate release: $file is not a regular file; upload the files themselves" >&2
    exit 3
  fi
  if [[ "$file" =~ [[:space:]] ]]; then
    echo "::error::forgegate release: '$file' has whitespace in its name; rename it" >&2
    exit 3
  fi
done

provenance="$DIST/provenance.intoto.json"
"$bin" provenance "${build[@]}" --output "$provenance"
"$bin" checksums create "${build[@]}" --output "$DIST/SHA256SUMS"
sign=("${build[@]}" "$DIST/SHA256SUMS")
if [[ -n "${FORGEGATE_SBOM_LOCK:-}" ]]; then
  "$bin" sbom --lock "$FORGEGATE_SBOM_LOCK" --output "$DIST/sbom.cdx.json"
  sign+=("$DIST/sbom.cdx.json")
else
  echo "::notice::forgegate release: no sbom-lock given, so no SBOM is released"
fi

files=("${sign[@]}" "$provenance")
{
  printf 'build=%s\n' "${build[*]}"
  printf 'sign=%s\n' "${sign[*]}"
  printf 'provenance=%s\n' "$provenance"
  echo "files<<FORGEGATE_EOF"
  for file in "${files[@]}"; do printf '%s\n%s.sigstore.json\n' "$file" "$file"; done
  echo "FORGEGATE_EOF"
} >>"$GITHUB_OUTPUT"
