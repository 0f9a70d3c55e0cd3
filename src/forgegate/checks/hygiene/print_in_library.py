"""hygiene/print-in-library: ``print()`` calls in library modules (AST-based)."""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar

from forgegate.blobs import blob_id
from forgegate.cache import ResultCache
from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_PRINT = re.compile(r"\bprint\(")
DEFAULT_EXEMPT = [
    "__main__.py",
    "cli.py",
    "**/cli/**",
    "**/scripts/**",
    "**/tests/**",
    "**/test/**",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    "setup.py",
    "noxfile.py",
    "**/docs/**",
    "**/examples/**",
    "**/benchmarks/**",
    "tools/**",
]


def has_print_statement(data: bytes) -> bool:
    """Cheap pre-filter: some line has ``print(`` after only indentation (or ``;``/``:``).

    Parsing is the expensive part, so only files where a print *statement* can be are parsed;
    a call inside an expression (``x = print(...)``, ``lambda: print()``) is rare and missed.
    """
    pos = data.find(b"print(")
    while pos != -1:
        start = data.rfind(b"\n", 0, pos) + 1
        before = data[start:pos].rstrip(b" \t")
        if not before or before.endswith((b";", b":")):
            return True
        pos = data.find(b"print(", pos + 6)
    return False


def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def print_calls(tree: ast.AST, lines: Sequence[int]) -> list[ast.Call]:
    """``print(...)`` calls outside ``if __name__ == "__main__":`` and ``def main``.

    Only subtrees whose line span holds one of ``lines`` (where ``print(`` occurs in the text)
    are entered: most of a module is skipped, which is where the time went.
    """
    found: list[ast.Call] = []

    def holds(node: ast.AST) -> bool:
        first = getattr(node, "lineno", None)
        if first is None:
            return True
        last = getattr(node, "end_lineno", None) or first
        index = bisect.bisect_left(lines, first)
        return index < len(lines) and lines[index] <= last

    def walk(nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            if not holds(node):
                continue
            if isinstance(node, ast.If) and _is_main_guard(node):
                walk(node.orelse)
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == "main":
                continue
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                found.append(node)
            walk(ast.iter_child_nodes(node))

    walk([tree])
    return found


@register
class PrintInLibrary(FileCheck):
    rule = Rule(
        id="hygiene/print-in-library",
        title="print() in a library module",
        severity=Severity.WARNING,
        summary="Library code writes to stdout with print() instead of logging or returning data.",
    )
    patterns = ("*.py",)
    needles = (b"print(",)

    def wants_data(self, data: bytes, found: AbstractSet[bytes] | None = None) -> bool:
        return super().wants_data(data, found) and has_print_statement(data)

    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "exempt": {
                "description": "Path globs of modules allowed to print (entry points, scripts).",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": DEFAULT_EXEMPT,
            }
        },
    }

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._exempt = compile_globs(self.options.get("exempt", DEFAULT_EXEMPT))
        self._cache = ResultCache("print-in-library")

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        if self._exempt(source.path):
            return
        for line, column in self._calls(source):
            yield self.finding(
                "print() in a library module writes to the caller's stdout; use logging, or "
                "return the data and let the CLI print it",
                source.path,
                line,
                column,
                key=source.line_text(line).strip(),
            )

    def _calls(self, source: SourceFile) -> list[tuple[int, int]]:
        """(line, column) of the reportable print calls; parsed once per content, then cached."""
        key = blob_id(source.data)
        cached = self._cache.get(key)
        if isinstance(cached, list):
            return [(int(line), int(col)) for line, col in cached]
        try:
            tree = ast.parse(source.text, source.path)
        except (SyntaxError, ValueError):
            calls = []  # not Python this interpreter can read (e.g. Python 2): not our call
        else:
            lines = sorted({source.line_at(m.start()) for m in _PRINT.finditer(source.text)})
            calls = [(c.lineno, c.col_offset + 1) for c in print_calls(tree, lines)]
        self._cache.put(key, calls)
        return calls
