"""The rule registry: every check class registers itself here when its module is imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from forgegate.checks.base import Check
    from forgegate.model import Rule

C = TypeVar("C", bound="type[Check]")

_CHECKS: dict[str, type[Check]] = {}
_LOADED = False


def register(cls: C) -> C:
    """Class decorator: add a check to the registry under its rule id (ids are unique)."""
    rule_id = cls.rule.id
    if rule_id in _CHECKS and _CHECKS[rule_id] is not cls:
        raise ValueError(f"rule {rule_id} is registered twice")
    _CHECKS[rule_id] = cls
    return cls


def _load() -> None:
    global _LOADED
    if not _LOADED:
        import forgegate.checks  # noqa: F401  (imports every family, which registers)

        _LOADED = True


def all_checks() -> dict[str, type[Check]]:
    """Every registered check class by rule id, sorted by id."""
    _load()
    return dict(sorted(_CHECKS.items()))


def all_rules() -> dict[str, Rule]:
    return {rule_id: cls.rule for rule_id, cls in all_checks().items()}


def families() -> list[str]:
    return sorted({rule.family for rule in all_rules().values()})


def get_rule(rule_id: str) -> Rule | None:
    cls = all_checks().get(rule_id)
    return cls.rule if cls else None
