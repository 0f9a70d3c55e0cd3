"""drift/unhashed-requirements: release and container requirements files without ``--hash``.

Which files: the ``paths`` globs of the rule's options, and (``from-dockerfiles``) every
requirements file a Dockerfile installs with ``pip install -r``, found through the ``COPY``
that brought it into the image.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._project import parent, read_text, repo_paths, repo_relative
from forgegate.dockerfile import PATTERNS as DOCKERFILES
from forgegate.dockerfile import copy_operands, instructions
from forgegate.errors import GateError, UsageError
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register
from forgegate.supplychain.sbom.sources import parse_requirements

DEFAULT_PATHS = [
    "requirements/release*.txt",
    "requirements/prod*.txt",
    "requirements-release*.txt",
    "requirements-prod*.txt",
]
_INSTALL_R = re.compile(r"(?:^|\s)(?:-r|--requirement)(?:\s+|=)([\"']?)([^\s\"';&|]+)\1")
FIX = "pip-compile --generate-hashes (or uv pip compile --generate-hashes) writes them"


def dockerfile_requirements(
    text: str, dockerfile: str, tracked: set[str]
) -> Iterator[tuple[str, int]]:
    """(repository path, Dockerfile line) of each requirements file a RUN installs with -r."""
    copies: list[tuple[list[str], str]] = []
    for inst in instructions(text):
        if inst.keyword in ("COPY", "ADD"):
            operands = copy_operands(inst.args)
            if operands is not None:
                copies.append(operands)
        elif inst.keyword == "RUN" and "pip" in inst.args:
            for found in _INSTALL_R.finditer(inst.args):
                target = found.group(2)
                if "$" in target:
                    continue
                resolved = _resolve(target, copies, parent(dockerfile), tracked)
                if resolved is not None:
                    yield resolved, inst.line


def _resolve(
    target: str, copies: list[tuple[list[str], str]], context: str, tracked: set[str]
) -> str | None:
    """The repository file an in-image path came from, through the COPYs before it (the
    newest first), else the path itself read from the build context."""
    target = posixpath.normpath(target)
    folder, name = posixpath.split(target)
    candidates: list[str] = []
    for sources, dest in reversed(copies):
        dest = posixpath.normpath(dest)
        for source in sources:
            src = posixpath.normpath(source.lstrip("/") or ".")
            if target == dest:  # copied to exactly that path
                candidates.append(src)
            elif (folder or ".") == dest:  # copied into its directory
                candidates.append(src if posixpath.basename(src) == name else f"{src}/{name}")
            elif target.startswith(dest + "/"):  # a tree above it was copied
                candidates.append(f"{src}/{target[len(dest) + 1 :]}")
            elif dest == "." and not target.startswith("/"):
                candidates.append(f"{src}/{target}")
    candidates.append(target.lstrip("/"))
    for candidate in candidates:
        for base in (context, ""):
            rel = posixpath.normpath(f"{base}/{candidate}" if base else candidate)
            if rel in tracked:
                return rel
    return None


@register
class UnhashedRequirements(RepoCheck):
    rule = Rule(
        id="drift/unhashed-requirements",
        title="Release or container requirements without --hash",
        severity=Severity.WARNING,
        summary="A requirements file used for release or container builds has a requirement "
        "without `--hash`, so what pip installs is whatever the index serves that day.",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "paths": {
                "description": "Globs of the requirements files that must pin every "
                "requirement by hash (release and deployment inputs).",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": DEFAULT_PATHS,
            },
            "from-dockerfiles": {
                "description": "Also require hashes in every requirements file a Dockerfile "
                "installs with `pip install -r`.",
                "type": "boolean",
                "default": True,
            },
        },
    }

    def check_repo(self, ctx: Context) -> Iterator[Finding]:
        paths = repo_paths(ctx)
        wanted = compile_globs(self.options.get("paths", DEFAULT_PATHS))
        used: dict[str, str] = {
            rel: "it matches the rule's `paths` option" for rel in paths if wanted(rel)
        }
        if self.options.get("from-dockerfiles", True):
            used.update(self._from_dockerfiles(ctx, paths, used))
        seen: set[tuple[str, int]] = set()
        for rel, why in sorted(used.items()):
            yield from self._check(ctx, rel, why, seen)

    def _from_dockerfiles(
        self, ctx: Context, paths: Sequence[str], known: dict[str, str]
    ) -> dict[str, str]:
        is_dockerfile = compile_globs(DOCKERFILES)
        tracked = set(paths)
        found: dict[str, str] = {}
        for dockerfile in paths:
            text = read_text(ctx.root, dockerfile) if is_dockerfile(dockerfile) else None
            for rel, line in dockerfile_requirements(text or "", dockerfile, tracked):
                if rel not in known and rel not in found:
                    found[rel] = f"{dockerfile}:{line} installs it into an image"
        return found

    def _check(
        self, ctx: Context, rel: str, why: str, seen: set[tuple[str, int]]
    ) -> Iterator[Finding]:
        try:
            parsed: Any = parse_requirements(ctx.root / rel)
        except (GateError, UsageError) as err:
            yield self.finding(
                f"{rel} cannot be read, so its hashes cannot be checked: {err}",
                rel,
                key=f"unreadable\0{err}",
            )
            return
        base = ctx.root.resolve()
        for req in parsed.requirements:
            if req.hash_options or req.is_constraint:
                continue
            path = repo_relative(base, req.filename, rel)
            line = int(req.line_number or 1)
            if (path, line) in seen:
                continue
            seen.add((path, line))
            what = req.name or req.line.strip()
            via = "" if path == rel else f" (included from {rel})"
            yield self.finding(
                f"{what} has no --hash{via}, but {why}: pip install --require-hashes needs a "
                "hash on every requirement",
                path,
                line,
                key=req.line.strip(),
                fix=FIX,
            )
