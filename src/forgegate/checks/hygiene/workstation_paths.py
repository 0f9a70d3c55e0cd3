"""hygiene/workstation-paths: absolute paths from a developer's machine."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

PATTERNS = (
    "*.py", "*.pyi", "*.md", "*.rst", "*.txt", "*.sql", "*.cfg", "*.ini", "*.toml", "*.yml",
    "*.yaml", "*.json", "*.sh", "*.bash", "*.ps1", "*.bat", "*.cmd", "*.js", "*.ts", "*.tsx",
    "*.jsx", "*.java", "*.kt", "*.go", "*.rs", "*.rb", "*.php", "*.cs", "*.c", "*.h", "*.cpp",
    "*.env", "*.properties", "*.xml", "*.ipynb", "*.tf", "Dockerfile*", "*.dockerfile",
    "Makefile", "*.mk", "*.cmake", "*.gradle",
)  # fmt: skip
# Windows: a user or dev directory after a drive letter (either slash, possibly escaped); Unix and
# macOS: a home directory. Each pattern starts with a literal so the regex engine can skip ahead;
# the character before the match is checked in Python.
_WINDOWS = re.compile(
    r":(?:\\\\|\\|/)(?:Users|dev|Documents and Settings)(?:\\\\|\\|/)"
    r"(?P<user>[A-Za-z0-9._ -]{1,40}?)(?=\\|/|[\"'\s]|$)[^\s\"'`<>|]*"
)
_UNIX = re.compile(r"/(?:home|Users)/(?P<user>[A-Za-z0-9._-]{1,40})/[^\s\"'`<>|)]*")
_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")
# an escape sequence glued to the end of a path inside a string literal ("/home/x/src\n")
_ESCAPE_TAIL = re.compile(r"(?:\\+[nrt])+$")
#: user names that are placeholders or CI accounts, not someone's workstation
GENERIC_USERS = frozenset(
    {
        "runner", "user", "username", "you", "yourname", "your_name", "your-name", "me", "name",
        "someone", "somebody", "example", "foo", "bar", "x", "xxx", "john", "jdoe", "johndoe",
        "jane", "alice", "bob", "public", "shared", "default", "default user", "all users",
        "travis", "circleci", "vagrant", "ubuntu", "ec2-user", "admin", "root", "docker", "app",
        "node", "jenkins", "gitlab-runner", "vscode", "codespace", "linuxbrew", "*", "...",
    }
)  # fmt: skip


@register
class WorkstationPaths(FileCheck):
    rule = Rule(
        id="hygiene/workstation-paths",
        title="Absolute path from a developer's machine",
        severity=Severity.WARNING,
        summary="Code, docs or configuration hard-code a path like C:\\Users\\<name>\\… or "
        "/home/<name>/… that exists only on one workstation.",
    )
    patterns = PATTERNS
    # a home directory, a Windows user directory, a backslash or slash dev path ("home/", not
    # "/home/": a match of another check's "://" can hide the latter, never the former)
    needles = (b"home/", b"Users", b":\\", b":/dev")
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow": {
                "description": "Regular expressions; a path that one matches (re.search) is fine.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        },
    }

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._allow = [re.compile(p) for p in self.options.get("allow", [])]

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        text = source.text
        matches = []
        if source.contains(b"home/") or source.contains(b"Users"):
            for match in _UNIX.finditer(text):
                start = match.start()
                if start == 0 or text[start - 1] not in _WORD:
                    matches.append((start, match))
        if source.contains(b"Users") or source.contains(b":\\") or source.contains(b":/dev"):
            for match in _WINDOWS.finditer(text):
                start = match.start() - 1  # the drive letter
                if (
                    start >= 0
                    and text[start].isalpha()
                    and (start == 0 or text[start - 1] not in _WORD)
                ):
                    matches.append((start, match))
        for start, match in sorted(matches, key=lambda m: m[0]):
            user = match.group("user").strip()
            if not user or user.lower() in GENERIC_USERS or not user[0].isalnum():
                continue
            path = _ESCAPE_TAIL.sub("", text[start : match.end()]).rstrip(".,;:")
            if any(a.search(path) for a in self._allow):
                continue
            yield self.finding(
                f"{path} is a path on one developer's machine; use a path relative to the "
                "project, a configurable setting or an environment variable",
                source.path,
                source.line_at(start),
                source.column_at(start),
                key=path,
            )
