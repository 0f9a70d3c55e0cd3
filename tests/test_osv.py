"""The offline OSV database: range semantics on the real PyPA advisory database's edge cases,
the cached index, bad input, the loopback OSV API, and ``forgegate audit --vuln-db``.

Expected advisories are computed in the tests from the raw YAML records, never from
forgegate's index.
"""

from __future__ import annotations

import copy
import gzip
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from packaging.version import InvalidVersion, Version

from forgegate.cli import main
from forgegate.errors import GateError, UsageError
from forgegate.supplychain.osv import database
from forgegate.supplychain.osv.database import Index, build_index, load_index
from forgegate.supplychain.osv.local_audit import audit, cvss_score
from forgegate.supplychain.osv.match import query
from forgegate.supplychain.osv.ranges import EVALUATED, affects, in_range, parse
from forgegate.supplychain.osv.server import OsvServer

PINNED = {
    "requests": "2.19.0",
    "jinja2": "2.10",
    "urllib3": "1.24.1",
    "pyyaml": "5.3",
    "django": "3.2.0",
    "pillow": "8.0.0",
}


def raw(shared: Path, package: str, record: str) -> dict[str, Any]:
    path = shared / "advisory-db" / "vulns" / package / f"{record}.yaml"
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def ranges_only(record: dict[str, Any]) -> dict[str, Any]:
    """The record's first affected entry without its explicit versions list."""
    entry = copy.deepcopy(record["affected"][0])
    entry.pop("versions", None)
    return entry


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("osv-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORGEGATE_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def pypa(cache_dir: Path) -> Index:
    """The whole PyPA advisory database, indexed once for this module."""
    from .conftest import SHARED_DATA

    if not (SHARED_DATA / "advisory-db").is_dir():
        pytest.skip(f"SKIPPED LOUDLY: {SHARED_DATA}/advisory-db is absent")
    return load_index(SHARED_DATA / "advisory-db")[0]


# --- range semantics: the real database's edge cases ----------------------------------------


def test_introduced_zero_admits_pre_releases(shared_data: Path) -> None:
    entry = ranges_only(raw(shared_data, "vantage6", "PYSEC-2023-196"))
    assert Version("0.0.0b0") < Version("0")  # why "0" cannot be compared as a version
    assert affects(entry, "0.0.0b0") and affects(entry, "4.0.1")
    assert not affects(entry, "4.0.2")


def test_overlapping_intervals_in_one_range(shared_data: Path) -> None:
    entry = ranges_only(raw(shared_data, "wagtail", "PYSEC-2021-114"))
    # introduced 2.11 / fixed 2.11.7 holds 2.11.6 although "introduced 0, fixed 2.11.6" follows
    assert affects(entry, "2.11.6") and affects(entry, "2.10.2") and affects(entry, "2.12.3")
    assert not affects(entry, "2.11.7") and not affects(entry, "2.12.4")


def test_versions_list_without_ranges(shared_data: Path) -> None:
    entry = raw(shared_data, "gratient", "PYSEC-2024-1")["affected"][0]
    assert "ranges" not in entry
    assert affects(entry, "0.5") and affects(entry, "0.5.0")  # PEP 440 equal
    assert not affects(entry, "0.6")


def test_last_affected_is_inclusive(shared_data: Path) -> None:
    entry = ranges_only(raw(shared_data, "py", "PYSEC-2022-42969"))
    assert affects(entry, "1.11.0") and affects(entry, "0.9.0")
    assert not affects(entry, "1.11.1")


def test_withdrawn_records_never_match(pypa: Index, shared_data: Path) -> None:
    record = raw(shared_data, "redis", "PYSEC-2023-73")
    assert record.get("withdrawn")
    assert affects(record["affected"][0], "4.5.3")  # the ranges alone would match
    assert "PYSEC-2023-73" not in {r["id"] for r in query(pypa, "redis", "4.5.3").vulns}


def test_non_pep440_versions_match_the_explicit_list(shared_data: Path) -> None:
    entry = raw(shared_data, "buildbot", "PYSEC-2019-6")["affected"][0]
    assert parse("0.7.10p1") is None
    assert affects(entry, "0.7.10p1")
    assert not affects(entry, "0.7.10p9")  # not listed and not comparable: not affected
    assert affects(entry, "1.8.1") and not affects(entry, "1.8.2") and affects(entry, "2.3.0")


def test_limit_semver_git_and_undecidable_ranges() -> None:
    capped = {
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"limit": "1.5.0"}]}]
    }
    assert affects(capped, "1.4.9") and not affects(capped, "1.5.0") and not affects(capped, "0.9")
    git = {"ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}]}
    assert not affects(git, "1.0")
    bad = {"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-x!"}]}]}
    with pytest.raises(ValueError, match="not a PEP 440"):
        affects(bad, "0.5")
    assert affects({**bad, "versions": ["0.5"]}, "0.5")  # listed: no need to decide the range


def test_ranges_agree_with_every_listed_version_of_the_database(pypa: Index) -> None:
    """Each record's ranges, evaluated alone, hold its explicitly listed versions — except
    where the record itself disagrees (pre-releases listed below ``introduced``, a version
    listed that its own ``fixed`` excludes)."""
    disagree = set()
    checked = 0
    for record in pypa.records:
        for entry in record["affected"]:
            ranges = [r for r in entry.get("ranges", []) if r["type"] in EVALUATED]
            for text in entry.get("versions", []) if ranges else []:
                version = parse(str(text))
                if version is None:
                    continue
                checked += 1
                if not any(in_range(version, r["events"]) for r in ranges):
                    disagree.add((record["id"], str(text)))
    assert checked > 100_000
    assert {rid for rid, _ in disagree} == {"PYSEC-2023-61", "PYSEC-2023-177"}
    assert ("PYSEC-2023-177", "23.9.0") in disagree and ("PYSEC-2023-61", "3.2a1") in disagree


# --- the pinned set, against ids computed from the raw records ------------------------------


def expected_ids(shared: Path, package: str, version: str) -> set[str]:
    """Advisory ids whose explicit versions list names ``version`` (withdrawn ones left out)."""
    wanted = Version(version)
    ids = set()
    for path in sorted((shared / "advisory-db" / "vulns" / package).glob("*.yaml")):
        record = yaml.safe_load(path.read_text())
        if record.get("withdrawn"):
            continue
        for entry in record["affected"]:
            for text in entry.get("versions", []):
                try:
                    if Version(str(text)) == wanted:
                        ids.add(record["id"])
                except InvalidVersion:
                    pass
    return ids


def test_pinned_set_gets_exactly_the_listed_advisories(pypa: Index, shared_data: Path) -> None:
    deps, _, undecided = audit(pypa, sorted(PINNED.items()))
    assert undecided == []
    for dep in deps:
        expected = expected_ids(shared_data, dep.name, dep.version)
        assert expected, dep.name
        assert {v.id for v in dep.vulns} == expected, dep.name
    requests_vulns = {v.id: v for v in next(d for d in deps if d.name == "requests").vulns}
    assert requests_vulns["PYSEC-2018-28"].fix_versions == ("2.20.0",)
    assert "CVE-2018-18074" in requests_vulns["PYSEC-2018-28"].aliases


def test_cvss_vectors_become_scores(shared_data: Path) -> None:
    scored = [
        json.loads(json.dumps(yaml.safe_load(p.read_text()), default=str))
        for p in sorted((shared_data / "advisory-db" / "vulns").glob("*/*.yaml"))[:600]
    ]
    with_vector = [r for r in scored if r.get("severity")]
    assert with_vector
    for record in with_vector:
        score = cvss_score(record)
        assert score is not None and 0.0 <= score <= 10.0
    critical = {
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    }
    assert cvss_score(critical) == 9.8
    assert cvss_score({"severity": [{"type": "CVSS_V3", "score": "garbage"}]}) is None


# --- the index: cache, zip, bad input -------------------------------------------------------


def small_db(
    shared: Path, target: Path, packages: tuple[str, ...] = ("requests", "jinja2")
) -> Path:
    for package in packages:
        shutil.copytree(shared / "advisory-db" / "vulns" / package, target / "vulns" / package)
    return target


def test_index_is_cached_by_content(shared_data: Path, tmp_path: Path, cache_dir: Path) -> None:
    db = small_db(shared_data, tmp_path / "db")
    first, cached = load_index(db)
    assert not cached and len(first.records) > 5
    again, cached = load_index(db)
    assert cached and again.digest == first.digest and again.records == first.records
    stored = database.index_path(first.digest)
    assert json.loads(gzip.decompress(stored.read_bytes()))["digest"] == first.digest
    edited = next((db / "vulns" / "requests").glob("*.yaml"))
    edited.write_text(edited.read_text().replace("details:", "summary: edited\ndetails:", 1))
    changed, cached = load_index(db)
    assert not cached and changed.digest != first.digest
    database.index_path(changed.digest).write_bytes(b"not gzip")
    rebuilt, cached = load_index(db)  # a damaged cache is rebuilt, never trusted
    assert not cached and rebuilt.records == changed.records


def test_zip_of_json_records_matches_the_directory(shared_data: Path, tmp_path: Path) -> None:
    db = small_db(shared_data, tmp_path / "db")
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(db.rglob("*.yaml")):
            record = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
            out.writestr(f"{record['id']}.json", json.dumps(record))
        # a GHSA record for the same vulnerability, as OSV's PyPI/all.zip carries
        requests_record = raw(shared_data, "requests", "PYSEC-2018-28")
        ghsa = {**requests_record, "id": "GHSA-x84v-xcm2-53pg", "aliases": ["CVE-2018-18074"]}
        out.writestr("GHSA-x84v-xcm2-53pg.json", json.dumps(ghsa))
    from_zip = build_index(archive)
    from_dir = build_index(db)
    assert len(from_zip.records) == len(from_dir.records) + 1
    deps, _, _ = audit(from_zip, [("requests", "2.19.0")])
    ids = [v.id for v in deps[0].vulns]
    assert ids.count("PYSEC-2018-28") == 1 and "GHSA-x84v-xcm2-53pg" not in ids  # one finding
    merged = next(v for v in deps[0].vulns if v.id == "PYSEC-2018-28")
    assert "GHSA-x84v-xcm2-53pg" in merged.aliases


def test_corrupt_zip_and_missing_path(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("A.json", "{}" * 1000)
    data = bytearray(archive.read_bytes())
    data[40:60] = b"\0" * 20  # damage the member's compressed bytes and header
    archive.write_bytes(bytes(data))
    with pytest.raises((GateError, UsageError)) as info:
        load_index(archive, use_cache=False)
    assert "all.zip" in str(info.value)
    with pytest.raises(UsageError, match="no such file"):
        load_index(tmp_path / "absent")
    (tmp_path / "plain.txt").write_text("x")
    with pytest.raises(UsageError, match="neither a directory"):
        load_index(tmp_path / "plain.txt")


def test_bad_records_are_named_and_never_hide_the_others(shared_data: Path, tmp_path: Path) -> None:
    db = small_db(shared_data, tmp_path / "db")
    (db / "vulns" / "requests" / "PYSEC-0000-901.yaml").write_text(
        "id: PYSEC-0000-901\naffected: [\n"
    )
    schema_bad = raw(shared_data, "jinja2", "PYSEC-2019-217")
    schema_bad["id"] = "PYSEC-0000-902"
    schema_bad["affected"][0]["ranges"][0]["events"] = "not a list"
    (db / "vulns" / "jinja2" / "PYSEC-0000-902.json").write_text(json.dumps(schema_bad))
    git_only = raw(shared_data, "jinja2", "PYSEC-2019-217")
    git_only["id"] = "GITBAD-3"
    git_only["affected"][0]["ranges"].append(
        {
            "type": "GIT",
            "repo": "https://example.invalid/x",
            "events": [{"introduced": "0"}, {"fixed": "abc"}],
        }
    )
    (db / "vulns" / "jinja2" / "GITBAD-3.json").write_text(json.dumps(git_only))
    index = build_index(db)
    problems = {p.record: p for p in index.problems}
    assert (
        problems["PYSEC-0000-901"].broken and "cannot parse" in problems["PYSEC-0000-901"].message
    )
    assert "requests/PYSEC-0000-901.yaml" in problems["PYSEC-0000-901"].source
    assert problems["PYSEC-0000-902"].broken
    assert "affected[0].ranges[0].events" in problems["PYSEC-0000-902"].message
    # an id prefix the schema does not know, a short commit in a GIT range: never matched on
    assert not problems["GITBAD-3"].broken
    assert "GITBAD-3" in {r["id"] for r in query(index, "jinja2", "2.10").vulns}
    # the good records still answer; the packages with broken records cannot pass
    found = query(index, "requests", "2.19.0")
    assert {r["id"] for r in found.vulns} == expected_ids(shared_data, "requests", "2.19.0")
    assert any("PYSEC-0000-901" in why for why in found.undecided)
    assert query(index, "idna", "3.10").undecided == []


# --- the loopback OSV API ---------------------------------------------------------------------


def test_server_answers_like_osv(pypa: Index) -> None:
    with OsvServer(pypa) as server:
        hit = requests.post(
            server.url,
            json={"package": {"name": "Jinja2", "ecosystem": "PyPI"}, "version": "2.10"},
            timeout=5,
        )
        none = requests.post(
            server.url,
            json={"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "3.1.4"},
            timeout=5,
        )
        bad = requests.post(server.url, data=b"{", timeout=5)
        no_version = requests.post(server.url, json={"package": {"name": "x"}}, timeout=5)
        elsewhere = requests.post(server.url.replace("/v1/query", "/v1/other"), json={}, timeout=5)
    assert hit.status_code == 200
    assert {v["id"] for v in hit.json()["vulns"]} == {"PYSEC-2019-217", "PYSEC-2021-66"}
    assert none.status_code == 200 and none.json() == {}
    assert bad.status_code == 400 and no_version.status_code == 400
    assert elsewhere.status_code == 404
    assert server.queries == [("Jinja2", "2.10"), ("jinja2", "3.1.4")]


# --- forgegate audit --vuln-db ---------------------------------------------------------------


@pytest.fixture
def pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIP_AUDIT_CACHE_DIR", str(tmp_path / "pip-audit-cache"))
    req = tmp_path / "requirements.txt"
    req.write_text("".join(f"{name}=={version}\n" for name, version in PINNED.items()))
    return req


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["audit", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def _found(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (f["message"].split()[0], f["message"].split(": ")[1].split()[0]) for f in doc["findings"]
    }


def test_audit_offline_and_through_pip_audit_agree(
    pinned: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(shared_data / "advisory-db")
    code, local, err = _run(capsys, "-r", str(pinned), "--vuln-db", db)
    assert code == 1, err
    assert "2661 advisories" in err
    expected = {
        (name, vid)
        for name, version in PINNED.items()
        for vid in expected_ids(shared_data, name, version)
    }
    assert _found(local) == expected
    code, served, err = _run(capsys, "-r", str(pinned), "--vuln-db", db, "--engine", "pip-audit")
    assert code == 1, err
    assert _found(served) == expected  # pip-audit, fed by the loopback server, agrees
    line = {f["message"].split()[0]: f["line"] for f in local["findings"]}
    assert line["requests"] == 1 and line["pillow"] == 6


def test_audit_offline_severity_and_fail_on_follow_cvss(
    pinned: Path, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cvss import CVSS3  # type: ignore[import-untyped]

    db = tmp_path / "db" / "vulns" / "urllib3"
    db.mkdir(parents=True)
    for record in ("PYSEC-2023-192", "PYSEC-2023-207"):
        source = shared_data / "advisory-db" / "vulns" / "urllib3" / f"{record}.yaml"
        shutil.copy(source, db / source.name)
    scores = {
        r: CVSS3(raw(shared_data, "urllib3", r)["severity"][0]["score"]).base_score
        for r in ("PYSEC-2023-192", "PYSEC-2023-207")
    }
    assert scores["PYSEC-2023-192"] >= 7.0 > scores["PYSEC-2023-207"] >= 4.0
    pinned.write_text("urllib3==1.24.1\n")
    vuln_db = str(tmp_path / "db")
    code, doc, _ = _run(capsys, "-r", str(pinned), "--vuln-db", vuln_db, "--fail-on", "high")
    severity = {f["message"].split(": ")[1].split()[0]: f["severity"] for f in doc["findings"]}
    assert severity == {"PYSEC-2023-192": "error", "PYSEC-2023-207": "warning"}
    assert code == 1
    code, doc, _ = _run(capsys, "-r", str(pinned), "--vuln-db", vuln_db, "--fail-on", "critical")
    assert code == 0 and len(doc["findings"]) == 2  # reported, below the fail level


def test_audit_offline_refuses_online_options_and_broken_records(
    pinned: Path, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = small_db(shared_data, tmp_path / "db", ("requests",))
    code, _, err = _run(capsys, "-r", str(pinned), "--vuln-db", str(db), "--service", "osv")
    assert code == 2 and "--vuln-db answers offline" in err
    (db / "vulns" / "requests" / "PYSEC-0000-901.yaml").write_text("id: [\n")
    pinned.write_text("requests==2.19.0\n")
    code, _, err = _run(capsys, "-r", str(pinned), "--vuln-db", str(db))
    assert code == 3
    assert "PYSEC-0000-901" in err and "cannot decide" in err
    pinned.write_text("idna==3.10\n")  # a package the broken record does not name: decided
    code, doc, err = _run(capsys, "-r", str(pinned), "--vuln-db", str(db))
    assert code == 0 and doc["findings"] == []
    assert "PYSEC-0000-901" in err  # still said, as a warning


def test_shipped_osv_schema_is_the_shared_one(shared_data: Path) -> None:
    shipped = json.loads(database.SCHEMA.read_text())
    assert shipped == json.loads((shared_data / "schemas" / "osv-schema.json").read_text())


def test_malformed_lock_and_requirements_name_the_file(
    pinned: Path, shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(small_db(shared_data, tmp_path / "db", ("requests",)))
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n[[package]]\nname = "requests"\nversion = \n')
    code, _, err = _run(capsys, "--lock", str(lock), "--vuln-db", db)
    assert code == 3 and "uv.lock" in err and "not valid TOML" in err
    pinned.write_text("requests==2.19.0\n--only-binary :all: --frobnicate\n")
    code, _, err = _run(capsys, "-r", str(pinned), "--vuln-db", db)
    assert code == 3 and f"{pinned.name}:2" in err and "cannot parse" in err
    pinned.write_text("requests>=2.19\n")
    code, _, err = _run(capsys, "-r", str(pinned), "--vuln-db", db)
    assert code == 3 and "not pinned with ==" in err
