"""Stamp the forgegate commit that the reusable workflows run, and check the stamp.

A reusable workflow runs in the caller's repository, so ``pr-gate.yml`` checks out forgegate
itself at the ``forgegate-ref`` input's default. When a release is cut, this script writes that
commit into ``.github/forgegate-release.json`` and into every workflow that checks forgegate out,
so the workflow file a caller pins and the code it runs agree::

    python scripts/stamp_release.py --sha <commit of the release's code>
    python scripts/stamp_release.py --check      # exit 1 when the stamps disagree

Exit codes: 0 ok, 1 stamps disagree (``--check``), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
RECORD = Path(".github/forgegate-release.json")
#: workflows whose ``forgegate-ref`` / ``forgegate-repository`` input defaults are stamped
STAMPED_WORKFLOWS = (
    Path(".github/workflows/pr-gate.yml"),
    Path(".github/workflows/release-gate.yml"),
)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_INPUT_DEFAULT = r"(?m)^(      {name}:\n(?:        .*\n)*?        default: )(\S+)$"


def package_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


def read_input_default(text: str, name: str) -> str | None:
    match = re.search(_INPUT_DEFAULT.format(name=re.escape(name)), text)
    return match.group(2) if match else None


def replace_input_default(text: str, name: str, value: str) -> str:
    pattern = re.compile(_INPUT_DEFAULT.format(name=re.escape(name)))
    if not pattern.search(text):
        raise ValueError(f"no `default:` for input {name!r}")
    return pattern.sub(lambda m: m.group(1) + value, text, count=1)


def stamp(root: Path, sha: str, repository: str) -> None:
    if not _SHA.match(sha):
        raise ValueError(f"{sha!r} is not a full 40-hex commit SHA")
    record = {"repository": repository, "sha": sha, "version": package_version(root)}
    for rel in STAMPED_WORKFLOWS:
        path = root / rel
        text = replace_input_default(path.read_text(encoding="utf-8"), "forgegate-ref", sha)
        text = replace_input_default(text, "forgegate-repository", repository)
        path.write_text(text, encoding="utf-8")
    (root / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def problems(root: Path) -> list[str]:
    """Every way the stamps disagree with the release record and the package version."""
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{RECORD}: cannot read the release record ({err})"]
    found = []
    if record.get("version") != package_version(root):
        found.append(
            f"{RECORD} says version {record.get('version')!r} but pyproject.toml says "
            f"{package_version(root)!r}; re-run the stamp"
        )
    if not _SHA.match(str(record.get("sha", ""))):
        found.append(f"{RECORD}: sha {record.get('sha')!r} is not a full commit SHA")
    for rel in STAMPED_WORKFLOWS:
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except OSError as err:
            found.append(f"{rel}: cannot read the workflow ({err.strerror})")
            continue
        for name, key in (("forgegate-ref", "sha"), ("forgegate-repository", "repository")):
            value = read_input_default(text, name)
            if value != record.get(key):
                found.append(
                    f"{rel}: input {name} defaults to {value!r}, {RECORD} says {record.get(key)!r}"
                )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sha", help="full commit SHA of the release's code")
    parser.add_argument("--repository", default="forgegate/forgegate", help="OWNER/NAME")
    parser.add_argument("--check", action="store_true", help="only check that the stamps agree")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.root)
        for line in found:
            print(f"stamp_release: {line}", file=sys.stderr)
        return 1 if found else 0
    if not args.sha:
        parser.error("--sha is required (or --check)")
    try:
        stamp(args.root, args.sha, args.repository)
    except (ValueError, OSError) as err:
        print(f"stamp_release: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
