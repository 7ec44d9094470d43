"""Validate events against the OCSF 1.8 schema in ``../shared/ocsf-schema-1.8.0``, offline.

``ocsf-lib`` compiles the schema repository (classes with inherited attributes, objects, types,
profiles) but has no event validator, so this helper turns the compiled schema into a JSON Schema
(draft 2020-12) per class and profile set and validates with ``jsonschema``:

* every attribute's type (primitive types with their regex/range, objects recursively, arrays);
* ``required`` attributes, including those a declared profile (``metadata.profiles``) adds;
* closed enums (``activity_id``, ``status_id`` …) and the object constraints (``at_least_one``,
  ``just_one``);
* no attribute that the class or object does not define (``additionalProperties: false``);
* on top: ``type_uid == class_uid * 100 + activity_id`` and sibling captions
  (``activity_name`` matches ``activity_id`` unless the id is 99 *Other*).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

_PRIMITIVES = {
    "boolean_t": {"type": "boolean"},
    "integer_t": {"type": "integer"},
    "long_t": {"type": "integer"},
    "float_t": {"type": "number"},
    "string_t": {"type": "string"},
    "json_t": {},
    "object_t": {"type": "object"},
}


@functools.cache
def compiled_schema(repo: str) -> dict[str, Any]:
    """The compiled OCSF schema (as ``ocsf-lib`` writes it with ``python -m ocsf.compile``)."""
    from ocsf.compile.compiler import Compilation
    from ocsf.compile.options import CompilationOptions
    from ocsf.repository import read_repo
    from ocsf.schema import to_dict

    options = CompilationOptions()
    options.ignore_extensions = ["linux", "windows", "macos"]
    compiled = Compilation(read_repo(repo, preserve_raw_data=False), options).build()
    return to_dict(compiled)


def _raw_index(folder: Path) -> dict[str, dict[str, Any]]:
    """name → raw JSON of every class or object definition file under ``folder``."""
    index: dict[str, dict[str, Any]] = {}
    for path in folder.rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            index[data["name"]] = data
    return index


class OcsfValidator:
    """JSON-Schema validation of OCSF events, one compiled schema per (class, profiles)."""

    def __init__(self, repo: Path) -> None:
        self.schema = compiled_schema(str(repo))
        self.version = self.schema["version"]
        self.types: dict[str, Any] = self.schema["types"]
        self.objects: dict[str, Any] = self.schema["objects"]
        self.classes_by_uid = {c["uid"]: c for c in self.schema["classes"].values()}
        self._cache: dict[tuple[int, tuple[str, ...]], jsonschema.protocols.Validator] = {}
        self._raw = {"events": _raw_index(repo / "events"), "objects": _raw_index(repo / "objects")}

    def _native(self, section: str, name: str) -> set[str]:
        """Attributes a class/object defines itself or inherits (not those a profile adds).

        ocsf-lib tags an attribute with the last profile that also defines it (``actor`` of API
        Activity reads as ``profile: host``), so profile gating is decided from the raw files.
        """
        native: set[str] = set()
        current: str | None = name
        while current:
            raw = self._raw[section].get(current)
            if raw is None:
                break
            native |= {k for k in raw.get("attributes", {}) if not k.startswith("$")}
            current = raw.get("extends")
        return native

    def _type(self, name: str) -> dict[str, Any]:
        if name in _PRIMITIVES:
            return dict(_PRIMITIVES[name])
        spec = self.types[name]
        out = self._type(spec["type"]) if spec.get("type") else {}
        if spec.get("regex"):
            out["pattern"] = spec["regex"]
        if spec.get("range"):
            out["minimum"], out["maximum"] = spec["range"]
        if spec.get("max_len"):
            out["maxLength"] = spec["max_len"]
        if spec.get("values"):
            out["enum"] = list(spec["values"])
        return out

    def _kind(self, attr: dict[str, Any]) -> str:
        kind = str(attr["type"])
        if kind == "object" and attr.get("object_type"):
            kind = str(attr["object_type"])
        return kind

    def _attribute(self, attr: dict[str, Any], profiles: tuple[str, ...]) -> dict[str, Any]:
        kind = self._kind(attr)
        if kind == "object":
            item: dict[str, Any] = {"type": "object"}  # OCSF's free-form ``object`` (unmapped)
        elif kind in self.objects:
            item = {"$ref": f"#/$defs/{kind}"}
        else:
            item = self._type(kind)
            enum = attr.get("enum")
            if enum:
                keys = list(enum)
                if item.get("type") == "integer":
                    item["enum"] = [int(k) for k in keys]
                else:
                    item["enum"] = keys
        return {"type": "array", "items": item} if attr.get("is_array") else item

    def _shape(
        self, spec: dict[str, Any], profiles: tuple[str, ...], section: str
    ) -> tuple[dict[str, Any], set[str]]:
        props: dict[str, Any] = {}
        required: list[str] = []
        refs: set[str] = set()
        native = self._native(section, spec["name"])
        for name, attr in spec["attributes"].items():
            profile = attr.get("profile")
            if profile and profile not in profiles and name not in native:
                continue
            props[name] = self._attribute(attr, profiles)
            kind = self._kind(attr)
            if kind in self.objects and kind != "object":
                refs.add(kind)
            if attr.get("requirement") == "required":
                required.append(name)
        out: dict[str, Any] = {
            "type": "object",
            "properties": props,
            "required": sorted(required),
            "additionalProperties": False,
        }
        constraints = spec.get("constraints") or {}
        all_of = []
        if constraints.get("at_least_one"):
            all_of.append({"anyOf": [{"required": [a]} for a in constraints["at_least_one"]]})
        if constraints.get("just_one"):
            all_of.append({"oneOf": [{"required": [a]} for a in constraints["just_one"]]})
        if all_of:
            out["allOf"] = all_of
        return out, refs

    def validator_for(
        self, class_uid: int, profiles: tuple[str, ...]
    ) -> jsonschema.protocols.Validator:
        key = (class_uid, profiles)
        if key not in self._cache:
            root, pending = self._shape(self.classes_by_uid[class_uid], profiles, "events")
            defs: dict[str, Any] = {}
            while pending:
                name = pending.pop()
                if name in defs:
                    continue
                defs[name], refs = self._shape(self.objects[name], profiles, "objects")
                pending |= refs - set(defs)
            schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **root}
            schema["$defs"] = defs
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            self._cache[key] = cls(schema)
        return self._cache[key]

    def errors(self, event: dict[str, Any]) -> list[str]:
        """Every problem with ``event`` (empty when it is a valid OCSF 1.8 event)."""
        cls = self.classes_by_uid.get(event.get("class_uid"))
        if cls is None:
            return [f"class_uid {event.get('class_uid')!r} is not an OCSF {self.version} class"]
        profiles = tuple(sorted((event.get("metadata") or {}).get("profiles") or []))
        unknown = [p for p in profiles if p not in self.schema["profiles"]]
        if unknown:
            return [f"unknown profiles {unknown}"]
        validator = self.validator_for(cls["uid"], profiles)
        problems = [
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in validator.iter_errors(event)
        ]
        activity = event.get("activity_id")
        if isinstance(activity, int) and event.get("type_uid") != cls["uid"] * 100 + activity:
            problems.append(f"type_uid {event.get('type_uid')} != class_uid*100 + activity_id")
        attrs = cls["attributes"]
        for id_name, attr in attrs.items():
            sibling = attr.get("sibling")
            value = event.get(id_name)
            if not sibling or sibling not in event or not isinstance(value, int) or value == 99:
                continue
            caption = (attr.get("enum") or {}).get(str(value), {}).get("caption")
            if caption is not None and event[sibling] != caption:
                problems.append(f"{sibling} {event[sibling]!r} does not match {id_name}={value}")
        if (event.get("metadata") or {}).get("version") != self.version:
            problems.append(f"metadata.version is not {self.version}")
        return problems
