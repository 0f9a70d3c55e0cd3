"""drift/lock-stale: a lock that no longer satisfies pyproject.toml's declared dependencies."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from packaging.version import InvalidVersion, Version

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._locks import Lock, environments, holds, lock_paths, read_any
from forgegate.checks.drift._project import Declared, Project, Unreadable, projects, repo_paths
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


@register
class LockStale(RepoCheck):
    rule = Rule(
        id="drift/lock-stale",
        title="Lock file does not satisfy the declared dependencies",
        severity=Severity.ERROR,
        summary="uv.lock, poetry.lock, pylock.toml or a fully pinned requirements file pins a "
        "version pyproject.toml's requirements exclude, misses a declared dependency, or "
        "cannot be read.",
    )

    def check_repo(self, ctx: Context) -> Iterator[Finding]:
        paths = repo_paths(ctx)
        for project in projects(ctx, paths):
            locks = lock_paths(paths, project.path)
            if not locks:
                continue
            if isinstance(project, Unreadable):
                yield self._unreadable(project, "its locks cannot be judged")
                continue
            yield from self._project(ctx, project, locks)

    def _project(self, ctx: Context, project: Project, locks: Sequence[str]) -> Iterator[Finding]:
        declared = project.declared()
        for line, message in project.invalid:
            yield self.finding(message, project.path, line, key=message)
        requires = project.requires_python
        envs = environments(requires[0] if requires else None)
        for rel in locks:
            try:
                lock = read_any(ctx.root, rel)
            except Unreadable as err:
                yield self._unreadable(err, "the gate cannot tell whether it is stale")
                continue
            if lock is None:
                continue  # a requirements file with ranges is an input, not a lock
            for dep in declared:
                yield from self._judge(project, dep, lock, envs)

    def _judge(
        self, project: Project, dep: Declared, lock: Lock, envs: list[dict[str, str]]
    ) -> Iterator[Finding]:
        applicable = [env for env in envs if holds(dep.requirement.marker, env)]
        if not applicable:
            return  # its marker holds on no Python the project supports
        pins = lock.pins.get(dep.name, [])
        if not pins:
            if lock.covers(dep.group):
                yield self.finding(
                    f"{dep.text!r} ({dep.group}) is missing from {lock.path}; run `{lock.relock}`",
                    project.path,
                    dep.line,
                    key=f"{lock.path}\0{dep.group}\0{dep.text}\0missing",
                    fix=lock.relock,
                )
            return
        specifier = dep.requirement.specifier
        for pin in pins:
            try:
                inside = specifier.contains(Version(pin.version), prereleases=True)
            except InvalidVersion:
                continue
            if inside or not any(holds(pin.marker, env) for env in applicable):
                continue
            yield self.finding(
                f"{dep.text!r} ({dep.group}) excludes {pin.name} {pin.version}, pinned in "
                f"{pin.path}:{pin.line}; run `{lock.relock}`",
                project.path,
                dep.line,
                key=f"{lock.path}\0{dep.group}\0{dep.text}\0{pin.version}",
                fix=lock.relock,
            )

    def _unreadable(self, err: Unreadable, why: str) -> Finding:
        return self.finding(
            f"{err.path} cannot be read, so {why}: {err.message}",
            err.path,
            err.line,
            key=err.message,
            fix="repair the file (regenerate a lock with its tool)",
        )
