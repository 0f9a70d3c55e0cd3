"""The rule registry: every check class registers itself here when its module is imported.

Families are imported on demand: a run of ``--only hygiene`` imports the hygiene checks only,
and a rule id named anywhere (policy, waiver, suppression) imports the family its prefix names.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from forgegate.model import is_rule_id
from forgegate.resources import rule_doc_path

if TYPE_CHECKING:
    from forgegate.checks.base import Check
    from forgegate.model import Rule

C = TypeVar("C", bound="type[Check]")

#: rule family (the prefix of its rule ids) -> the module whose import registers its checks
FAMILIES = {
    "deps": "forgegate.checks.deps",
    "drift": "forgegate.checks.drift",
    "engine": "forgegate.checks.meta",
    "hygiene": "forgegate.checks.hygiene",
    "policy": "forgegate.checks.meta",
    "release": "forgegate.checks.release",
    "workflow": "forgegate.checks.workflow",
}

_CHECKS: dict[str, type[Check]] = {}
_IMPORTED: set[str] = set()


def register(cls: C) -> C:
    """Class decorator: add a check to the registry under its rule id (ids are unique)."""
    rule_id = cls.rule.id
    if rule_id in _CHECKS and _CHECKS[rule_id] is not cls:
        raise ValueError(f"rule {rule_id} is registered twice")
    _CHECKS[rule_id] = cls
    return cls


def _import(families: Iterable[str]) -> None:
    for family in families:
        module = FAMILIES.get(family)
        if module is not None and module not in _IMPORTED:
            importlib.import_module(module)
            _IMPORTED.add(module)


def checks_of(families: Iterable[str] | None = None) -> dict[str, type[Check]]:
    """The check classes of ``families`` (every family when None) by rule id, sorted by id."""
    wanted = set(FAMILIES) if families is None else set(families)
    _import(sorted(wanted))
    return {rid: cls for rid, cls in sorted(_CHECKS.items()) if cls.rule.family in wanted}


def all_checks() -> dict[str, type[Check]]:
    """Every registered check class by rule id, sorted by id."""
    return checks_of(None)


def find_check(rule_id: str) -> type[Check] | None:
    """The check class of ``rule_id``, importing only its family; None for an unknown id."""
    _import([rule_id.partition("/")[0]])
    return _CHECKS.get(rule_id)


class KnownRules:
    """``rule_id in KNOWN_RULES``: is it a rule of some family?

    A family not imported yet is not imported for this: every rule has exactly one page under
    the shipped ``docs/rules/`` (tests/test_docs.py holds that both ways), so the page answers.
    A suppression naming another family's rule (say in vendored docs) costs a ``stat``.
    """

    def __contains__(self, rule_id: object) -> bool:
        if not isinstance(rule_id, str) or not is_rule_id(rule_id):
            return False
        module = FAMILIES.get(rule_id.partition("/")[0])
        if module is None:
            return False
        if module in _IMPORTED:
            return rule_id in _CHECKS
        return rule_doc_path(rule_id).is_file()


KNOWN_RULES = KnownRules()


def all_rules() -> dict[str, Rule]:
    return {rule_id: cls.rule for rule_id, cls in all_checks().items()}


def families() -> list[str]:
    return sorted(FAMILIES)


def get_rule(rule_id: str) -> Rule | None:
    cls = find_check(rule_id)
    return cls.rule if cls else None
