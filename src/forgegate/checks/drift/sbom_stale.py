"""drift/sbom-stale: a committed SBOM whose components no longer match the lock file."""

from __future__ import annotations

import json
from collections.abc import Iterable

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._project import read_text
from forgegate.checks.drift.lock_stale import LOCKS
from forgegate.errors import ForgegateError
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

SBOMS = compile_globs(["*.cdx.json", "bom.json", "sbom.json", "*.sbom.json"])


@register
class SbomStale(RepoCheck):
    rule = Rule(
        id="drift/sbom-stale",
        title="Committed SBOM does not match the lock file",
        severity=Severity.WARNING,
        summary="A CycloneDX SBOM in the repository lists PyPI packages at versions the lock no "
        "longer pins, or misses packages it does: regenerate it with forgegate sbom.",
    )

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        from packageurl import PackageURL
        from packaging.utils import canonicalize_name

        from forgegate.supplychain.sbom.sources import lock_versions

        lock = next((name for name in LOCKS if name in ctx.paths), None)
        if lock is None:
            return
        sboms = [p for p in ctx.paths if SBOMS(p)]
        if not sboms:
            return
        try:
            locked = lock_versions(ctx.root / lock)
        except ForgegateError:
            return  # drift/lock-stale reports the unreadable lock
        for path in sboms:
            text = read_text(ctx.root, path) or ""
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
                continue
            listed: dict[str, set[str]] = {}
            for component in doc.get("components") or []:
                purl = component.get("purl") if isinstance(component, dict) else None
                try:
                    parsed = PackageURL.from_string(str(purl)) if purl else None
                except ValueError:
                    continue
                if parsed is None or parsed.type != "pypi":
                    continue
                listed.setdefault(canonicalize_name(parsed.name), set()).add(
                    str(parsed.version or "")
                )
            changed = sorted(n for n in listed if n in locked and not listed[n] & locked[n])
            gone = sorted(n for n in listed if n not in locked)
            new = sorted(n for n in locked if n not in listed)
            if not (changed or gone or new):
                continue
            parts = []
            if changed:
                shown = ", ".join(
                    f"{n} {'/'.join(sorted(listed[n]))} (lock: {'/'.join(sorted(locked[n]))})"
                    for n in changed[:5]
                )
                parts.append(f"{len(changed)} at other versions: {shown}")
            if new:
                parts.append(f"{len(new)} missing: {', '.join(new[:5])}")
            if gone:
                parts.append(f"{len(gone)} no longer locked: {', '.join(gone[:5])}")
            yield self.finding(
                f"{path} is stale against {lock}: {'; '.join(parts)}; regenerate it with "
                f"`forgegate sbom --lock {lock} --output {path}`",
                path,
                1,
                key=f"{path}\0{lock}\0{len(changed)}\0{len(new)}\0{len(gone)}",
            )
