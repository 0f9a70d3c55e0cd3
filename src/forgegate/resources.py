"""Files forgegate ships beside its code: built-in policies and the rule pages.

In a wheel they live in ``forgegate/_data`` (see pyproject.toml); in a source checkout or an
editable install they are read from the repository's ``policies/`` and ``docs/rules/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _locate(packaged: str, checkout: str) -> Path:
    inside = _PACKAGE / "_data" / packaged
    return inside if inside.exists() else _CHECKOUT / checkout


def policy_path(name: str) -> Path:
    return _locate("policies", "policies") / name


def rule_doc_path(rule_id: str) -> Path:
    return _locate("rules", "docs/rules") / f"{rule_id}.md"
