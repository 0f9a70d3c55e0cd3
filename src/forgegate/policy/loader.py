"""Load, merge, validate and default the policy.

Layers, lowest first: ``policies/default.yml``, ``policies/strict.yml`` when the repository's
policy says ``extends: strict``, then the repository's own policy (``.github/forgegate.yml``, or
``[tool.forgegate]`` in pyproject.toml, or ``--policy FILE``). Mappings merge key by key; lists
and scalars from a higher layer replace the lower one. The merged document is validated against
``policies/policy.schema.json`` and the schema's ``default`` values are filled in. Any error
exits 2 naming the file, the line and the key.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forgegate.cache import ResultCache
from forgegate.errors import UsageError
from forgegate.model import Severity, is_rule_id
from forgegate.resources import policy_path
from forgegate.tomlcompat import tomllib

if TYPE_CHECKING:
    import jsonschema

REPO_POLICY_FILES = (".github/forgegate.yml", ".github/forgegate.yaml")


def _canonical(name: str | None) -> str | None:
    from packaging.utils import canonicalize_name

    return canonicalize_name(name) if name else None


@dataclass(frozen=True)
class Waiver:
    rule: str | None
    reason: str
    owner: str
    expires: dt.date
    path: str | None = None
    #: a vulnerability id (matched against a finding's id and aliases)
    vulnerability: str | None = None
    #: a package name, canonical (matched against a dependency finding's package)
    package: str | None = None
    #: where the waiver is written, for the expired-waiver finding
    source: str = ""
    line: int | None = None


@dataclass(frozen=True)
class RuleConfig:
    severity: Severity | None = None
    enabled: bool = True
    exclude: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """The resolved policy: every default applied, ready for the engine and the filters."""

    source: str
    document: Mapping[str, Any]
    fail_on: Severity
    exclude: tuple[str, ...]
    max_file_size: int
    baseline: str
    rules: Mapping[str, RuleConfig]
    waivers: tuple[Waiver, ...]

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def rule(self, rule_id: str) -> RuleConfig:
        return self.rules.get(rule_id, RuleConfig())


@dataclass
class _Layer:
    """One policy file: its plain data plus a way to find the line of a key path."""

    source: str
    data: dict[str, Any]
    #: YAML sources: the line of every key path (JSON-encoded) and of the document; TOML: None
    lines: dict[str, int] | None = None
    top_line: int | None = None
    text: str = ""

    def line_of(self, path: Sequence[Any]) -> int | None:
        if self.lines is None:
            return _toml_line(self.text, path)
        # the line of the longest prefix of the path that the file has
        for depth in range(len(path), 0, -1):
            line = self.lines.get(_path_key(path[:depth]))
            if line is not None:
                return line
        return self.top_line


def _path_key(path: Sequence[Any]) -> str:
    return json.dumps([str(p) if not isinstance(p, int) else p for p in path])


def _yaml_lines(tree: Any) -> dict[str, int]:
    """The 1-based line of every mapping key and sequence item under ``tree``, by key path."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    lines: dict[str, int] = {}

    def visit(node: Any, path: list[Any]) -> None:
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                here = [*path, str(key)]
                lines[_path_key(here)] = int(node.lc.key(key)[0]) + 1
                visit(value, here)
        elif isinstance(node, CommentedSeq):
            for index, value in enumerate(node):
                here = [*path, index]
                lines[_path_key(here)] = int(node.lc.item(index)[0]) + 1
                visit(value, here)

    visit(tree, [])
    return lines


def _toml_line(text: str, path: Sequence[Any]) -> int | None:
    """TOML carries no positions: find the last key of the path inside [tool.forgegate]."""
    lines = text.splitlines()
    start = next(
        (i for i, ln in enumerate(lines) if ln.strip().startswith("[tool.forgegate")), None
    )
    if start is None:
        return None
    keys = [k for k in path if isinstance(k, str)]
    for key in reversed(keys):
        for i in range(start, len(lines)):
            stripped = lines[i].strip()
            if stripped.startswith((f"{key} ", f"{key}=", f'"{key}"')) or f'"{key}"' in stripped:
                return i + 1
    return start + 1


def _plain(value: Any) -> Any:
    """ruamel/TOML values to JSON-shaped data; dates become ISO strings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


#: parsed policy files by the sha256 of their bytes: plain data and key lines (importing
#: ruamel.yaml and parsing the shipped default.yml cost ~30 ms of every run)
_PARSED = ResultCache("policy-parsed")


def _read_yaml(path: Path, display: str) -> _Layer:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise UsageError(f"{display}: cannot read the policy: {err.strerror}") from None
    key = hashlib.sha256(raw).hexdigest()
    cached = _PARSED.get(key)
    if (
        isinstance(cached, dict)
        and isinstance(cached.get("data"), dict)
        and isinstance(cached.get("lines"), dict)
    ):
        return _Layer(display, cached["data"], cached["lines"], cached.get("top"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{display}: the policy is not UTF-8 text") from None
    layer = _parse_yaml(text, display)
    _PARSED.put(key, {"data": layer.data, "lines": layer.lines, "top": layer.top_line})
    return layer


def _parse_yaml(text: str, display: str) -> _Layer:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise UsageError(f"{display}{where}: the policy is not valid YAML: {problem}") from None
    if tree is None:
        tree = CommentedMap()
    if not isinstance(tree, Mapping):
        raise UsageError(
            f"{display}:1: the policy must be a mapping of keys, not a list or a value"
        )
    top = tree.lc.line if isinstance(tree, CommentedMap) else None
    return _Layer(display, _plain(tree), _yaml_lines(tree), int(top) + 1 if top is not None else 1)


def _read_pyproject(path: Path, display: str) -> _Layer | None:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as err:
        raise UsageError(f"{display}: cannot read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{display}: not valid TOML: {err}") from None
    section = data.get("tool", {}).get("forgegate")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise UsageError(f"{display}: [tool.forgegate] must be a table")
    return _Layer(display, _plain(section), text=text)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(policy_path("policy.schema.json").read_text())
    return schema


def apply_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """Fill in ``default`` values from the schema, depth first, in schema key order."""
    if "$ref" in schema:
        ref = schema["$ref"]
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return apply_defaults(instance, target, root)
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key, sub in props.items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
        for key, value in instance.items():
            if key in props:
                instance[key] = apply_defaults(value, props[key], root)
            elif isinstance(schema.get("additionalProperties"), Mapping):
                instance[key] = apply_defaults(value, schema["additionalProperties"], root)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        return [apply_defaults(item, schema["items"], root) for item in instance]
    return instance


def _validation_error(err: jsonschema.ValidationError, layers: Sequence[_Layer]) -> UsageError:
    path = list(err.absolute_path)
    key_path = ".".join(str(p) for p in path) or "(top level)"
    message = err.message
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        schema = err.schema if isinstance(err.schema, Mapping) else {}
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in err.instance if k not in allowed)
        if extra:
            path = [*path, extra[0]]
            key_path = ".".join(str(p) for p in path)
            message = f"unknown key {extra[0]!r}"
            if allowed:
                message += f" (allowed: {', '.join(sorted(allowed))})"
    layer = _layer_with(layers, path)
    line = layer.line_of(path) if layer else None
    where = f"{layer.source}:{line}" if layer and line else (layer.source if layer else "policy")
    return UsageError(f"{where}: {key_path}: {message}")


def _layer_with(layers: Sequence[_Layer], path: Sequence[Any]) -> _Layer | None:
    """The highest layer that sets ``path`` (or its longest existing prefix)."""
    for depth in range(len(path), -1, -1):
        for layer in reversed(layers):
            node: Any = layer.data
            found = True
            for key in path[:depth]:
                if (isinstance(node, dict) and key in node) or (
                    isinstance(node, list) and isinstance(key, int) and key < len(node)
                ):
                    node = node[key]
                else:
                    found = False
                    break
            if found and depth > 0:
                return layer
    return layers[-1] if layers else None


def find_repo_policy(root: Path) -> Path | None:
    for rel in REPO_POLICY_FILES:
        if (root / rel).is_file():
            return root / rel
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and "[tool.forgegate" in pyproject.read_text(errors="replace"):
        return pyproject
    return None


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_policy(root: Path, explicit: Path | None = None, base: str | None = None) -> Policy:
    """Resolve the policy for ``root``. ``base`` forces ``default`` or ``strict`` underneath."""
    layers = [_read_yaml(policy_path("default.yml"), "policies/default.yml")]
    repo_file = explicit if explicit is not None else find_repo_policy(root)
    repo_layer: _Layer | None = None
    if explicit is not None and not explicit.is_file():
        raise UsageError(f"{explicit}: policy file not found")
    if repo_file is not None:
        display = _display(repo_file, root)
        if repo_file.name == "pyproject.toml":
            repo_layer = _read_pyproject(repo_file, display)
        else:
            repo_layer = _read_yaml(repo_file, display)
    extends = base or (repo_layer.data.get("extends") if repo_layer else None) or "default"
    if extends == "strict":
        layers.append(_read_yaml(policy_path("strict.yml"), "policies/strict.yml"))
    if repo_layer is not None:
        layers.append(repo_layer)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge(merged, layer.data)
    schema = load_schema()
    key = _validation_key(schema, merged)
    validated = _VALIDATED.get(key) is True
    if not validated:
        from forgegate.jsonschema_lite import jsonschema

        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(
            validator.iter_errors(merged), key=lambda e: list(map(str, e.absolute_path))
        )
        if errors:
            raise _validation_error(errors[0], layers)
    document = apply_defaults(merged, schema, schema)
    source = repo_layer.source if repo_layer else "policies/default.yml"
    policy = _build(document, source, layers, validate_options=not validated)
    if not validated:
        _VALIDATED.put(key, True)
    return policy


#: merged policy documents that passed validation before (importing jsonschema and validating
#: cost ~0.1 s of every run; a document, its schema and its rules' option schemas that passed
#: once pass again)
_VALIDATED = ResultCache("policy-validated")


def _validation_key(schema: Mapping[str, Any], merged: Mapping[str, Any]) -> str:
    from forgegate.registry import find_check

    rules = merged.get("rules")
    options = {
        rule_id: check.options_schema
        for rule_id in (rules if isinstance(rules, dict) else {})
        if isinstance(rule_id, str) and (check := find_check(rule_id)) is not None
    }
    # repr for what JSON cannot hold (a YAML date): a different type is a different document
    blob = json.dumps([schema, merged, options], sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


def _build(
    document: dict[str, Any], source: str, layers: Sequence[_Layer], *, validate_options: bool
) -> Policy:
    from forgegate.registry import find_check

    rules: dict[str, RuleConfig] = {}
    for rule_id, conf in document["rules"].items():
        path = ["rules", rule_id]
        layer = _layer_with(layers, path)
        where = f"{layer.source}:{layer.line_of(path)}" if layer else source
        check = find_check(rule_id)
        if check is None:
            raise UsageError(f"{where}: rules.{rule_id}: unknown rule (list them: forgegate rules)")
        options_schema = check.options_schema
        opts = conf.get("options", {})
        if validate_options:
            from forgegate.jsonschema_lite import jsonschema

            opt_validator = jsonschema.Draft202012Validator(options_schema)
            for err in sorted(opt_validator.iter_errors(opts), key=lambda e: str(e.absolute_path)):
                err.path.extendleft(reversed(["rules", rule_id, "options"]))
                raise _validation_error(err, layers)
        opts = apply_defaults(copy.deepcopy(opts), options_schema, options_schema)
        severity = conf.get("severity")
        rules[rule_id] = RuleConfig(
            severity=None if severity in (None, "off") else Severity.parse(severity),
            enabled=severity != "off",
            exclude=tuple(conf.get("exclude", [])),
            options=opts,
        )
    waivers = []
    for index, raw in enumerate(document["waivers"]):
        path = ["waivers", index]
        layer = _layer_with(layers, path)
        line = layer.line_of(path) if layer else None
        where = f"{layer.source}:{line}" if layer and line else source
        rule = raw.get("rule")
        if rule is not None and (not is_rule_id(rule) or find_check(rule) is None):
            raise UsageError(
                f"{where}: waivers[{index}].rule: unknown rule {rule!r} "
                "(list them: forgegate rules)"
            )
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError:
            raise UsageError(
                f"{where}: waivers[{index}].expires: {raw['expires']!r} is not a date (YYYY-MM-DD)"
            ) from None
        waivers.append(
            Waiver(
                rule=rule,
                vulnerability=raw.get("vulnerability"),
                package=_canonical(raw.get("package")),
                reason=raw["reason"],
                owner=raw["owner"],
                expires=expires,
                path=raw.get("path"),
                source=layer.source if layer else source,
                line=line,
            )
        )
    return Policy(
        source=source,
        document=document,
        fail_on=Severity.parse(document["fail-on"]),
        exclude=tuple(document["exclude"]),
        max_file_size=int(document["max-file-size"]),
        baseline=document["baseline"],
        rules=rules,
        waivers=tuple(waivers),
    )
