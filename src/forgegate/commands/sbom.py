"""``forgegate sbom``: a CycloneDX SBOM of an environment, requirements or a lock file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from forgegate.cli import _Parser
from forgegate.errors import EXIT_OK, UsageError
from forgegate.tomlcompat import tomllib


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "sbom",
        help="write a CycloneDX SBOM",
        description="Write a CycloneDX SBOM (1.6 JSON by default) of one source: an installed "
        "environment (--environment [PATH], the default: this Python), requirements files "
        "(-r, with -r/-c includes and hashes) or a lock file (--lock uv.lock | poetry.lock | "
        "pylock.toml, with pyproject.toml naming the direct dependencies). JSON is validated "
        "against the CycloneDX schema before it is written (unless --no-validate); the same "
        "input gives the same bytes (timestamp from SOURCE_DATE_EPOCH, else the HEAD commit time).",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--environment",
        nargs="?",
        const=Path(sys.prefix),
        type=Path,
        metavar="PATH",
        help="a virtual environment or site-packages directory (default: this Python's)",
    )
    source.add_argument(
        "-r",
        "--requirements",
        action="append",
        type=Path,
        metavar="FILE",
        help="pinned requirements file (repeatable)",
    )
    source.add_argument(
        "--lock", type=Path, metavar="FILE", help="uv.lock, poetry.lock or pylock.toml"
    )
    parser.add_argument(
        "--pyproject",
        type=Path,
        default=Path("pyproject.toml"),
        metavar="FILE",
        help="names the root component and its direct dependencies (default: ./pyproject.toml)",
    )
    parser.add_argument("--format", choices=("json", "xml"), default="json")
    parser.add_argument("--spec", choices=("1.5", "1.6"), default="1.6", help="CycloneDX version")
    parser.add_argument("--output", type=Path, metavar="FILE", help="write here (atomically)")
    parser.add_argument(
        "--no-validate",
        dest="validate",
        action="store_false",
        help="skip the CycloneDX schema check of the JSON (~0.1 s; the tests keep it honest)",
    )
    parser.set_defaults(func=cmd_sbom)


def _project(pyproject: Path) -> tuple[str, str, list[str] | None]:
    """Root name, version and direct dependency names from pyproject.toml, when present."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    if not pyproject.is_file():
        return Path.cwd().name, "0", None
    with pyproject.open("rb") as stream:
        doc: dict[str, Any] = tomllib.load(stream)
    project = doc.get("project", {})
    direct: list[str] = []
    for line in project.get("dependencies", []):
        try:
            direct.append(str(canonicalize_name(Requirement(line).name)))
        except InvalidRequirement:
            continue
    return str(project.get("name", Path.cwd().name)), str(project.get("version", "0")), direct


def cmd_sbom(args: argparse.Namespace) -> int:
    from forgegate.atomic import write_atomic
    from forgegate.supplychain.sbom import sources
    from forgegate.supplychain.sbom.bom import build_bom, render, validate_json
    from forgegate.supplychain.sbom.sources import Package

    name, version, direct = _project(args.pyproject)
    packages: list[Package]
    if args.requirements:
        merged: dict[str, Package] = {}
        for path in args.requirements:
            for package in sources.from_requirements(path):
                merged[package.name] = package
        packages = sorted(merged.values(), key=lambda p: p.name)
        direct = None  # requirements files are flat
    elif args.lock is not None:
        if not args.lock.is_file():
            raise UsageError(f"{args.lock}: no such lock file")
        packages = sources.from_lock(args.lock)
    else:
        packages = sources.from_environment(args.environment)
        packages = [p for p in packages if p.name != name]  # the project itself is the root
        direct = direct or None
    bom = build_bom(packages, root_name=name, root_version=version, root=Path.cwd(), direct=direct)
    text = render(bom, args.format, args.spec)
    if args.format == "json" and args.validate:
        validate_json(text, args.spec)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
        print(f"forgegate: wrote {len(packages)} component(s) to {args.output}", file=sys.stderr)
    return EXIT_OK
