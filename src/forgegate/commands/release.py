"""``forgegate release download|inventory``: a release's assets, fetched and verified, or the
backfill report of every release (which assets lack a checksum entry or a bundle)."""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from pathlib import Path
from typing import Any

from forgegate.cli import _Parser, add_github_api_options
from forgegate.errors import EXIT_FINDINGS, EXIT_OK, GateError
from forgegate.github import repository
from forgegate.model import Finding, Location, Severity, fingerprint

MANIFEST = "SHA256SUMS"
BUNDLE_SUFFIXES = (".sigstore.json", ".sigstore")


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from forgegate.cli import add_report_options

    release = sub.add_parser(
        "release", help="download or inventory GitHub release assets", description=__doc__
    )
    rsub = release.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    rsub.required = True
    down = rsub.add_parser(
        "download",
        help="fetch a release's assets, check SHA256SUMS and verify their bundles",
        description="Download the assets of release --tag matching --pattern with the release's "
        "SHA256SUMS and Sigstore bundles into --dest, keeping a file only when its checksum "
        "matches, then verify every bundle against the pinned signer. Exit 1 when an asset "
        "fails a check, 3 when GitHub could not be read or a download kept failing.",
    )
    down.add_argument("--repo", required=True, metavar="OWNER/NAME")
    down.add_argument("--tag", required=True, metavar="TAG")
    down.add_argument("--pattern", default="*", metavar="GLOB", help="assets to fetch")
    down.add_argument("--dest", type=Path, default=Path("."), metavar="DIR")
    down.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    down.add_argument("--max-retries", type=int, default=3, metavar="N")
    who = down.add_argument_group("signer (the bundles are verified like `forgegate verify`)")
    who.add_argument("--workflow", metavar="PATH", help="the signing workflow in --repo")
    who.add_argument("--ref-regexp", metavar="RE", help="e.g. refs/tags/v.*")
    who.add_argument("--signer-repo", metavar="OWNER/NAME", help="a reusable workflow's repo")
    who.add_argument("--signer-workflow", metavar="PATH")
    who.add_argument("--offline", action="store_true", help="trust root inside sigstore")
    who.add_argument("--staging", action="store_true")
    who.add_argument("--allow-unsigned", action="store_true", help="pass assets without bundle")
    add_github_api_options(down, "a token (optional for public repositories)")
    add_report_options(down)
    down.set_defaults(func=cmd_download)

    inv = rsub.add_parser(
        "inventory",
        help="every release: which assets lack a SHA256SUMS entry or a bundle",
        description="The backfill report: for every release of --repo, each asset with whether "
        "SHA256SUMS lists it and whether a Sigstore bundle sits beside it.",
    )
    inv.add_argument("--repo", required=True, metavar="OWNER/NAME")
    inv.add_argument("--format", choices=("text", "json"), default="text")
    inv.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    inv.add_argument("--max-retries", type=int, default=3, metavar="N")
    add_github_api_options(inv, "a token (optional for public repositories)")
    inv.set_defaults(func=cmd_inventory)


def _clients(args: argparse.Namespace) -> tuple[Any, Any]:
    from forgegate.github.refs import api_url
    from forgegate.github.releases import Releases
    from forgegate.supplychain.release import Fetcher

    token = os.environ.get(args.token_env) or None
    fetcher = Fetcher(timeout=args.timeout, max_retries=args.max_retries, token=token)
    return Releases(api_url(args.base_url), token), fetcher


def _is_extra(name: str) -> bool:
    return name == MANIFEST or name.endswith(BUNDLE_SUFFIXES)


def _finding(rule: str, path: str, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, message, Location(path), fingerprint(rule, path, message))


def cmd_download(args: argparse.Namespace) -> int:
    from forgegate.cli import emit_reports
    from forgegate.gate import external_run
    from forgegate.policy.loader import load_policy
    from forgegate.supplychain.checksums import parse_manifest
    from forgegate.supplychain.release import ChecksumMismatch, sanitize
    from forgegate.supplychain.verify import build_policy, make_verifier, verify_artifacts

    repo = repository(args.repo)
    # the signer is pinned before anything is fetched: a download is never unverified by accident
    policy = build_policy(
        repo=repo,
        workflow=args.workflow,
        ref_regexp=args.ref_regexp,
        signer_repo=args.signer_repo,
        signer_workflow=args.signer_workflow,
    )
    releases, fetcher = _clients(args)
    release = releases.by_tag(repo, args.tag)
    args.dest.mkdir(parents=True, exist_ok=True)
    by_name: dict[str, Any] = {}
    for asset in release.assets:
        safe = sanitize(asset.name)
        if safe in by_name:
            raise GateError(f"two assets of {args.tag} are both saved as {safe}; nothing was kept")
        by_name[safe] = asset
    wanted = sorted(n for n in by_name if not _is_extra(n) and fnmatch.fnmatch(n, args.pattern))
    if not wanted:
        raise GateError(f"no asset of {repo} {args.tag} matches {args.pattern!r}")
    if MANIFEST not in by_name:
        raise GateError(f"{repo} {args.tag} has no {MANIFEST} asset: nothing can be checked")
    manifest_path = fetcher.download(by_name[MANIFEST].url, args.dest / MANIFEST)
    sums = {e.name: e.digest for e in parse_manifest(manifest_path.read_text(), MANIFEST)}
    findings: list[Finding] = []
    fetched: list[Path] = []
    for name in wanted:
        target = args.dest / name
        if name not in sums:
            findings.append(
                _finding(
                    "release/checksum-unlisted", name, f"{name} is not in {MANIFEST}; not kept"
                )
            )
            continue
        github_says = by_name[name].sha256
        if github_says is not None and github_says != sums[name]:
            findings.append(
                _finding(
                    "release/checksum-mismatch",
                    name,
                    f"{MANIFEST} says sha256 {sums[name]} for {name} but GitHub computed "
                    f"{github_says} at upload; not downloaded",
                )
            )
            continue
        try:
            fetched.append(fetcher.download(by_name[name].url, target, sums[name]))
        except ChecksumMismatch as err:
            findings.append(_finding("release/checksum-mismatch", name, f"{err}; not kept"))
            continue
        for suffix in BUNDLE_SUFFIXES:
            if name + suffix in by_name:
                fetcher.download(by_name[name + suffix].url, args.dest / (name + suffix))
                break
    if fetched:
        verifier = make_verifier(args.staging, args.offline, None)
        for result in verify_artifacts(
            fetched, policy, verifier, allow_unsigned=args.allow_unsigned
        ):
            if not result.ok:
                rule = (
                    "release/attestation-missing"
                    if result.kind == "missing"
                    else "release/attestation-invalid"
                )
                findings.append(
                    _finding(rule, result.artifact, f"{result.artifact}: {result.reason}")
                )
    run = external_run(
        Path.cwd(), load_policy(Path.cwd(), None), findings, ["release"], paths=wanted
    )
    emit_reports(args, run)
    print(
        f"forgegate: {len(fetched)} of {len(wanted)} asset(s) of {repo} {args.tag} downloaded "
        f"to {args.dest}, {len(findings)} problem(s)",
        file=sys.stderr,
    )
    return EXIT_FINDINGS if run.outcome.failed else EXIT_OK


def cmd_inventory(args: argparse.Namespace) -> int:
    import tempfile

    from forgegate.supplychain.checksums import ManifestError, parse_manifest

    repo = repository(args.repo)
    releases, fetcher = _clients(args)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="forgegate-inventory-") as tmp:
        for release in releases.all(repo):
            names = {a.name: a for a in release.assets}
            listed: set[str] | None = None
            if MANIFEST in names:
                path = fetcher.download(names[MANIFEST].url, Path(tmp) / f"{len(rows)}.sums")
                try:
                    listed = {e.name for e in parse_manifest(path.read_text(), MANIFEST)}
                except ManifestError:
                    listed = set()
            for name in sorted(n for n in names if not _is_extra(n)):
                rows.append(
                    {
                        "release": release.tag,
                        "asset": name,
                        "checksum": "no SHA256SUMS"
                        if listed is None
                        else ("listed" if name in listed else "unlisted"),
                        "bundle": any(name + s in names for s in BUNDLE_SUFFIXES),
                    }
                )
    if args.format == "json":
        print(json.dumps({"repository": repo, "assets": rows}, indent=2, sort_keys=True))
    else:
        width = max([len(r["release"]) for r in rows] + [7])
        aw = max([len(r["asset"]) for r in rows] + [5])
        print(f"{'release':<{width}}  {'asset':<{aw}}  {'checksum':<12}  bundle")
        for r in rows:
            print(
                f"{r['release']:<{width}}  {r['asset']:<{aw}}  {r['checksum']:<12}  "
                f"{'yes' if r['bundle'] else 'MISSING'}"
            )
    gaps = sum(1 for r in rows if r["checksum"] != "listed" or not r["bundle"])
    print(f"forgegate: {len(rows)} asset(s), {gaps} need a backfill", file=sys.stderr)
    return EXIT_OK
