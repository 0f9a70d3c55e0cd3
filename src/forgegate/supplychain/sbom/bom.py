"""Build, render and validate a CycloneDX SBOM with cyclonedx-python-lib.

Reproducible by construction: components sorted by purl, dependencies sorted, the serial number
a UUID derived from the document's content, and the timestamp from ``SOURCE_DATE_EPOCH`` (else
the time of the repository's HEAD commit, else now) — so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import HashAlgorithm, HashType
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from forgegate import __version__
from forgegate.errors import GateError, UsageError
from forgegate.supplychain.sbom.sources import Package

SPEC_VERSIONS = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}
_ALGORITHMS = {
    "md5": HashAlgorithm.MD5,
    "sha1": HashAlgorithm.SHA_1,
    "sha256": HashAlgorithm.SHA_256,
    "sha384": HashAlgorithm.SHA_384,
    "sha512": HashAlgorithm.SHA_512,
    "blake2b": HashAlgorithm.BLAKE2B_512,
}
#: the serial number's UUID namespace (uuid5 over the content hash)
_NAMESPACE = uuid.UUID("6f0c4e5e-1d8e-5b6a-9a4f-6b0f3c2d1e7a")


def timestamp(root: Path | None) -> dt.datetime:
    """``SOURCE_DATE_EPOCH``, else the HEAD commit time of ``root``, else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        except ValueError:
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None
    if root is not None:
        proc = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0 and proc.stdout.strip().isdigit():
            return dt.datetime.fromtimestamp(int(proc.stdout.strip()), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _component(package: Package) -> Component:
    factory = LicenseFactory()
    hashes = [
        HashType(alg=_ALGORITHMS[alg], content=value)
        for alg, value in package.hashes
        if alg in _ALGORITHMS
    ]
    return Component(
        name=package.display or package.name,
        version=package.version,
        type=ComponentType.LIBRARY,
        purl=None
        if package.local
        else PackageURL("pypi", name=package.purl_name, version=package.version),
        bom_ref=package.purl,
        hashes=hashes,
        licenses=[factory.make_from_string(text) for text in package.licenses],
    )


def _content_digest(root_name: str, root_version: str, packages: Sequence[Package]) -> str:
    rows = [[p.purl, sorted(p.hashes), sorted(p.licenses), sorted(p.requires)] for p in packages]
    canonical = json.dumps([root_name, root_version, rows], sort_keys=True).encode()
    return hashlib.sha256(canonical).hexdigest()


def build_bom(
    packages: Sequence[Package],
    *,
    root_name: str,
    root_version: str = "0",
    root: Path | None = None,
    direct: Sequence[str] | None = None,
) -> Bom:
    """The SBOM of ``packages``; ``direct`` names the root's own dependencies (default: the
    packages nothing else requires)."""
    ordered = sorted(packages, key=lambda p: p.purl)
    project = Component(
        name=root_name,
        version=root_version,
        type=ComponentType.APPLICATION,
        bom_ref=f"root:{root_name}",
    )
    digest = _content_digest(root_name, root_version, ordered)
    bom = Bom(
        serial_number=uuid.uuid5(_NAMESPACE, digest),
        metadata=BomMetaData(component=project, timestamp=timestamp(root)),
    )
    bom.metadata.tools.components.add(
        Component(name="forgegate", version=__version__, type=ComponentType.APPLICATION)
    )
    by_name = {p.name: _component(p) for p in ordered}
    for component in by_name.values():
        bom.components.add(component)
    required = {r for p in ordered for r in p.requires}
    tops = (
        list(direct) if direct is not None else [p.name for p in ordered if p.name not in required]
    )
    bom.register_dependency(project, [by_name[n] for n in sorted(set(tops)) if n in by_name])
    for package in ordered:
        bom.register_dependency(
            by_name[package.name], [by_name[r] for r in sorted(package.requires) if r in by_name]
        )
    return bom


def render(bom: Bom, fmt: str = "json", spec: str = "1.6") -> str:
    if spec not in SPEC_VERSIONS:
        raise UsageError(f"CycloneDX {spec} is not supported (choose: {', '.join(SPEC_VERSIONS)})")
    output = OutputFormat.JSON if fmt == "json" else OutputFormat.XML
    text: str = make_outputter(bom, output, SPEC_VERSIONS[spec]).output_as_string(indent=2)
    return text if text.endswith("\n") else text + "\n"


def validate_json(text: str, spec: str = "1.6") -> None:
    """Validate against the CycloneDX JSON schema shipped in cyclonedx-python-lib."""
    # jsonschema first, without rfc3987-syntax: cyclonedx's validator would otherwise import it
    # and compile its grammars for ~1.5 s; the schema's iri-reference formats then go unchecked,
    # every other constraint still holds (see forgegate.jsonschema_lite)
    from forgegate.jsonschema_lite import jsonschema  # noqa: F401

    # isort: split
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SPEC_VERSIONS[spec]).validate_str(text)
    if error is not None:
        raise GateError(f"the SBOM does not validate against CycloneDX {spec}: {error}")
