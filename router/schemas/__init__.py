"""Published JSON Schemas of the events, and the rule that keeps them backward compatible.

`wismo schema` writes `<event_type>.v<version>.json` next to this file. A file that exists is
published: a new build may only widen it. `problems(old, new)` lists every change that would
break a consumer of the published version or a replay of old records:
- a field removed (or renamed, which is a removal plus an addition);
- a new required field;
- a type narrowed: fewer JSON types, fewer enum values, a stricter length, range or pattern.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from router.events import EVENT_TYPES, Event

Schema = dict[str, Any]

DIRECTORY = Path(str(resources.files("router.schemas")))


def filename(model: type[Event]) -> str:
    return f"{model.EVENT_TYPE}.v{model.SCHEMA_VERSION}.json"


def generate(model: type[Event]) -> Schema:
    schema = model.model_json_schema(mode="validation")
    schema["$id"] = f"urn:wismo:event:{model.EVENT_TYPE}:v{model.SCHEMA_VERSION}"
    schema["x-event-type"] = model.EVENT_TYPE
    schema["x-schema-version"] = model.SCHEMA_VERSION
    return schema


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def published(directory: Path = DIRECTORY) -> dict[str, Schema]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))
    }


def write(directory: Path = DIRECTORY) -> tuple[list[str], dict[str, list[str]]]:
    """Write new and compatible schemas; refuse incompatible ones. Returns (written, refused)."""
    existing = published(directory)
    written: list[str] = []
    refused: dict[str, list[str]] = {}
    for model in EVENT_TYPES.values():
        name = filename(model)
        new = generate(model)
        if name in existing:
            issues = problems(existing[name], new)
            if issues:
                refused[name] = issues
                continue
            if existing[name] == new:
                continue
        (directory / name).write_text(render(new), encoding="utf-8")
        written.append(name)
    return written, refused


def orphans(directory: Path = DIRECTORY) -> list[str]:
    """Published files of an event type that no longer exists (a newer version is fine)."""
    return [name for name in published(directory) if name.split(".v")[0] not in EVENT_TYPES]


def problems(old: Schema, new: Schema) -> list[str]:
    """Every way `new` fails to accept what `old` accepted."""
    return list(_compare(old, new, _Walk(old, new), "$"))


def _resolve(node: Schema, root: Schema) -> Schema:
    seen = 0
    while "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def _branches(node: Schema) -> list[Schema]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return list(node[key])
    return [node]


def _types(node: Schema) -> set[str] | None:
    """The JSON types a node accepts; None means any."""
    if "const" in node:
        return {_json_type(node["const"])}
    if "enum" in node:
        return {_json_type(v) for v in node["enum"]}
    kind = node.get("type")
    if kind is None:
        if "properties" in node:
            return {"object"}
        return None
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "number" in kinds:
        kinds.add("integer")
    return kinds


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass
class _Walk:
    old_root: Schema
    new_root: Schema
    seen: set[tuple[str, str]] = field(default_factory=set)  # $ref pairs already compared


def _compare(old: Schema, new: Schema, walk: _Walk, path: str) -> Iterator[str]:
    old_ref, new_ref = old.get("$ref"), new.get("$ref")
    if isinstance(old_ref, str) and isinstance(new_ref, str):
        if (old_ref, new_ref) in walk.seen:  # a recursive model: already being compared
            return
        walk.seen.add((old_ref, new_ref))
    old = _resolve(old, walk.old_root)
    new = _resolve(new, walk.new_root)
    old_branches = [_resolve(b, walk.old_root) for b in _branches(old)]
    new_branches = [_resolve(b, walk.new_root) for b in _branches(new)]
    if len(old_branches) > 1 or len(new_branches) > 1:
        for branch in old_branches:
            attempts = [list(_compare(branch, nb, walk, path)) for nb in new_branches]
            if not any(not issues for issues in attempts):
                yield from min(attempts, key=len)
        return
    yield from _compare_single(old, new, walk, path)


# (keyword, True when a smaller new value is stricter)
LIMITS = (
    ("maxLength", True),
    ("maxItems", True),
    ("maxProperties", True),
    ("maximum", True),
    ("exclusiveMaximum", True),
    ("minLength", False),
    ("minItems", False),
    ("minProperties", False),
    ("minimum", False),
    ("exclusiveMinimum", False),
)


def _compare_single(old: Schema, new: Schema, walk: _Walk, path: str) -> Iterator[str]:
    old_types, new_types = _types(old), _types(new)
    if new_types is not None and (old_types is None or not old_types <= new_types):
        yield f"{path}: type narrowed from {sorted(old_types or ['any'])} to {sorted(new_types)}"
        return
    if "enum" in new or "const" in new:
        old_values = old.get("enum", [old["const"]] if "const" in old else None)
        new_values = new.get("enum", [new.get("const")] if "const" in new else [])
        if old_values is None or not all(v in new_values for v in old_values):
            yield f"{path}: allowed values narrowed to {new_values}"
    for key, smaller_is_stricter in LIMITS:
        if key in new:
            if key not in old:
                yield f"{path}: new limit {key}={new[key]}"
            elif (new[key] < old[key]) if smaller_is_stricter else (new[key] > old[key]):
                yield f"{path}: {key} changed from {old[key]} to {new[key]}"
    for key in ("pattern", "format", "multipleOf"):
        if key in new and new.get(key) != old.get(key):
            yield f"{path}: {key} changed from {old.get(key)!r} to {new[key]!r}"
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        yield f"{path}: items must now be unique"
    old_props: dict[str, Schema] = old.get("properties", {})
    new_props: dict[str, Schema] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            yield f"{path}.{name}: field removed"
            continue
        yield from _compare(old_prop, new_props[name], walk, f"{path}.{name}")
    old_required = set(old.get("required", []))
    for name in sorted(set(new.get("required", [])) - old_required):
        yield f"{path}.{name}: new required field"
    if "items" in old and "items" in new:
        yield from _compare(old["items"], new["items"], walk, f"{path}[]")
    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        yield from _compare(old_extra, new_extra, walk, f"{path}{{}}")
    elif old_extra not in (None, False) and new_extra is False:
        yield f"{path}: extra keys no longer allowed"
