"""``forgegate fix pins``: the command glue of the pin fixer.

The planning and rewriting modules are pure (no network); this module is the command glue:
which files, which resolver, what to print, what to write.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from forgegate.errors import EXIT_FINDINGS, EXIT_OK

#: printed when resolving without a token (never the token itself, in any case)
UNAUTHENTICATED_NOTE = (
    "forgegate: note: GITHUB_TOKEN is not set; resolving refs unauthenticated "
    "(GitHub allows 60 requests an hour)"
)


def pin_targets(root: Path, policy_file: Path | None) -> list[str]:
    """Workflow and action files under ``root``: the workflow family's patterns plus the
    policy's ``workflow-paths``, minus its ``exclude`` globs; symlinks are left alone."""
    from forgegate.checks.workflow._model import DEFAULT_PATTERNS
    from forgegate.files import tracked_paths
    from forgegate.globs import compile_globs
    from forgegate.policy.loader import load_policy

    policy = load_policy(root, policy_file)
    wanted = compile_globs([*DEFAULT_PATTERNS, *policy.document.get("workflow-paths", [])])
    excluded = compile_globs(policy.exclude)
    return [
        rel
        for rel in tracked_paths(root)
        if wanted(rel)
        and not excluded(rel)
        and (root / rel).is_file()
        and not (root / rel).is_symlink()
    ]


def cmd_fix_pins(args: argparse.Namespace) -> int:
    """``forgegate fix pins``: diff (exit 1 on changes) or ``--write``; exit 3 when GitHub
    cannot answer (nothing is written then)."""
    from forgegate.atomic import write_atomic
    from forgegate.fixes.pins import plan
    from forgegate.gate import check_root
    from forgegate.github.refs import RefResolver, api_url

    root = check_root(args.path)
    files: list[tuple[str, str]] = []
    for rel in pin_targets(root, args.policy):
        try:
            files.append((rel, (root / rel).read_bytes().decode("utf-8")))
        except (OSError, UnicodeDecodeError) as err:
            print(f"forgegate: skipped {rel}: {err}", file=sys.stderr)
    token = os.environ.get("GITHUB_TOKEN") or None
    if token is None:
        print(UNAUTHENTICATED_NOTE, file=sys.stderr)
    resolver = RefResolver(api_url(args.base_url), token, max_wait=args.max_wait)
    result = plan(files, resolver.resolve)  # GateError (exit 3) before anything is written
    for path, why in result.skipped:
        print(f"forgegate: skipped {path}: not valid YAML ({why})", file=sys.stderr)
    for item in result.unresolved:
        print(f"{item} (left unchanged; fix or remove the reference)")
    changed = result.changed
    pinned = sum(len(f.pinned) for f in changed)
    if args.write:
        for fix in changed:
            write_atomic(root / fix.path, fix.new.encode("utf-8"))
        print(f"forgegate: pinned {pinned} ref(s) in {len(changed)} file(s)", file=sys.stderr)
        return EXIT_FINDINGS if result.unresolved else EXIT_OK
    for fix in changed:
        sys.stdout.write(fix.diff())
    if changed:
        print(
            f"forgegate: {pinned} ref(s) in {len(changed)} file(s) would be pinned; "
            "run again with --write to apply",
            file=sys.stderr,
        )
    return EXIT_FINDINGS if changed or result.unresolved else EXIT_OK
