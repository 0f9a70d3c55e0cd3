# Shared by the composite actions' scripts (sourced, not run): boolean inputs, finding the
# forgegate executable and expanding glob inputs. Inputs arrive only through environment variables.

# is_true VALUE: a boolean input; anything but true/false (and their spellings) is exit 2.
is_true() {
  case "$1" in
    true | True | TRUE | 1 | yes) return 0 ;;
    false | False | FALSE | 0 | no | "") return 1 ;;
    *)
      echo "::error::forgegate: '$1' is not a boolean (use true or false)" >&2
      exit 2
      ;;
  esac
}

# forgegate_bin ACTION: the executable from FORGEGATE_BIN or PATH, else exit 3 with an annotation.
forgegate_bin() {
  local bin="${FORGEGATE_BIN:-}"
  if [[ -z "$bin" ]]; then
    bin="$(command -v forgegate || true)"
  fi
  if [[ -z "$bin" || ! -x "$bin" ]]; then
    echo "::error::forgegate $1: no forgegate executable; run actions/setup first and pass its 'bin' output as 'forgegate'" >&2
    exit 3
  fi
  printf '%s\n' "$bin"
}

# expand_globs ACTION WORDS: fills the array EXPANDED with every file the whitespace-separated
# globs match; a glob that matches nothing is exit 3 (a missing artifact is never skipped).
expand_globs() {
  local action="$1" word
  local -a words matches
  EXPANDED=()
  read -ra words <<<"$2"
  shopt -s nullglob
  for word in "${words[@]}"; do
    # shellcheck disable=SC2206  # the word is a glob on purpose
    matches=($word)
    if [[ ${#matches[@]} -eq 0 ]]; then
      echo "::error::forgegate $action: '$word' matches no file" >&2
      exit 3
    fi
    EXPANDED+=("${matches[@]}")
  done
  shopt -u nullglob
}
