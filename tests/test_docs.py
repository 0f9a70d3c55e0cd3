"""Docs match the code: one page per rule, and the page's header table tells the truth."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forgegate.registry import all_checks, all_rules

from .conftest import REPO_ROOT

RULES_DIR = REPO_ROOT / "docs" / "rules"


def _pages() -> dict[str, Path]:
    return {p.relative_to(RULES_DIR).with_suffix("").as_posix(): p for p in RULES_DIR.rglob("*.md")}


def test_every_rule_has_a_page_and_every_page_a_rule() -> None:
    rules, pages = set(all_rules()), set(_pages())
    assert rules - pages == set(), "rules without a page in docs/rules/"
    assert pages - rules == set(), "pages in docs/rules/ without a rule"


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_page_header_matches_rule(rule_id: str) -> None:
    rule = all_rules()[rule_id]
    page = RULES_DIR / f"{rule_id}.md"
    if not page.exists():
        pytest.fail(f"{rule_id} has no page {page}")
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# {rule_id}\n")
    row = re.search(
        r"^\|\s*(\w[^|]*?)\s*\|\s*(\w+)\s*\|\s*(yes|no)\s*\|\s*(yes|no)\s*\|"
        r"\s*([\d.]+)\s*\|",
        text,
        re.M,
    )
    assert row, f"{page}: no header table row (family | severity | offline | configurable | since)"
    family, severity, offline, configurable, since = row.groups()
    has_options = bool(all_checks()[rule_id].options_schema.get("properties"))
    assert (configurable == "yes") == has_options, "configurable: yes iff the rule has options"
    assert family == rule.family
    assert severity == rule.severity.label
    assert (offline == "yes") == rule.offline
    assert since == rule.since
    for heading in ("## What it detects", "## How to fix", "## How to suppress"):
        assert heading in text, f"{page}: missing {heading!r}"


def test_config_reference_is_generated_from_the_schema() -> None:
    """docs/config.md is what scripts/gen_config_docs.py renders today (never edited by hand)."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "gen_config_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_readme_lists_every_rule() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| family | rules |") :]
    table = table[: table.index("\n\n")]
    listed = {
        f"{family}/{name.strip()}"
        for row in table.splitlines()[2:]
        for families, names in [row.strip("|").split("|")[:2]]
        for family in (f.strip().strip("`") for f in families.split(","))
        for name in names.split(",")
    }
    missing = sorted(r for r in all_rules() if r not in listed)
    assert not missing, f"README's rule table misses {missing}"
