"""Judge a package's licenses against allow and deny lists of SPDX identifiers.

Expressions are parsed with license-expression's SPDX licensing and brought into disjunctive
normal form: ``MIT OR GPL-3.0-only`` is acceptable when one branch is, ``A AND B`` only when both
parts are. ``X WITH exception`` is denied when ``X`` (or the whole ``X WITH exception``) is on the
deny list, and allowed when either is on the allow list. Several licenses without an expression
(one per trove classifier) are read as a choice: ``A OR B``. A package without license metadata,
or with a name that is not an SPDX identifier, is *unknown*: a warning, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from forgegate.errors import UsageError

Status = Literal["allowed", "denied", "unknown"]


@dataclass(frozen=True)
class Verdict:
    status: Status
    expression: str
    reason: str


def _licensing() -> Any:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


def _name(symbol: Any) -> str:
    return str(symbol.render())


def _keys(symbol: Any) -> tuple[str, ...]:
    """The ids a symbol answers to: ``X WITH E`` is both itself and ``X``."""
    base = getattr(symbol, "license_symbol", None)
    return (_name(symbol), str(base.key)) if base is not None else (_name(symbol),)


class LicensePolicy:
    """``allow`` (empty: anything not denied) and ``deny`` lists of SPDX ids or expressions
    of the form ``X WITH E``; unknown ids in them are a usage error."""

    def __init__(self, allow: Sequence[str] = (), deny: Sequence[str] = ()) -> None:
        self._spdx = _licensing()
        self.allow = self._checked(allow, "allow")
        self.deny = self._checked(deny, "deny")
        if self.allow & self.deny:
            both = ", ".join(sorted(self.allow & self.deny))
            raise UsageError(f"deps/license-denied: {both} is both allowed and denied")

    def _checked(self, ids: Sequence[str], name: str) -> frozenset[str]:
        from license_expression import ExpressionError

        keys = set()
        for text in ids:
            try:
                parsed = self._spdx.parse(text, validate=True)
            except ExpressionError as err:
                raise UsageError(
                    f"deps/license-denied option {name}: {text!r} is not an SPDX license id ({err})"
                ) from None
            keys.add(str(parsed.render()))
        return frozenset(keys)

    def _judge_symbol(self, symbol: Any) -> Status:
        keys = _keys(symbol)
        if self._spdx.unknown_license_keys(symbol):
            return "unknown"
        if any(k in self.deny for k in keys):
            return "denied"
        if self.allow and not any(k in self.allow for k in keys):
            return "denied"
        return "allowed"

    def judge(self, licenses: Sequence[str]) -> Verdict:
        """The verdict for one package whose metadata names ``licenses``."""
        from license_expression import ExpressionError

        if not licenses:
            return Verdict("unknown", "", "no license metadata")
        text = " OR ".join(f"({item})" if len(licenses) > 1 else item for item in licenses)
        try:
            parsed = self._spdx.parse(text)
        except ExpressionError as err:
            return Verdict("unknown", text, f"not an SPDX expression ({err})")
        if parsed is None:
            return Verdict("unknown", text, "empty license expression")
        rendered = str(parsed.render())
        choices = self._spdx.dnf(parsed)
        conjuncts = choices.args if type(choices).__name__ == "OR" else (choices,)
        outcomes: list[tuple[Status, list[str]]] = []
        for conjunct in conjuncts:
            symbols = self._spdx.license_symbols(conjunct, decompose=False)
            statuses = [(self._judge_symbol(s), _name(s)) for s in symbols]
            if all(status == "allowed" for status, _ in statuses):
                return Verdict("allowed", rendered, "")
            denied = [key for status, key in statuses if status == "denied"]
            unknown = [key for status, key in statuses if status == "unknown"]
            outcomes.append(("denied", denied) if denied else ("unknown", unknown))
        unknown_keys = sorted({k for status, keys in outcomes if status == "unknown" for k in keys})
        if unknown_keys:
            return Verdict(
                "unknown", rendered, f"{', '.join(unknown_keys)} is not an SPDX license id"
            )
        denied_keys = sorted({k for _, keys in outcomes for k in keys})
        listed = "not on the allow list" if self.allow else "on the deny list"
        return Verdict("denied", rendered, f"{', '.join(denied_keys)} {listed}")
