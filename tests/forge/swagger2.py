"""A strict request validator over a Swagger 2.0 description (GitLab's and Gitea's are both Swagger 2.0).

Checks what the real server's router and parameter parser would: the path is a declared one, the verb is
declared on it, path and query parameters have the declared type and enum, no undeclared query parameter is
sent, and the JSON body matches the body parameter's schema with no undeclared property (the tool must not rely
on a field the server silently drops).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

_VERBS = {"get", "post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Operation:
    template: str
    verb: str
    params: tuple[Mapping[str, Any], ...]


def _strict(schema: Any) -> Any:
    """Copy of ``schema`` where every object with declared properties refuses others."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


class Swagger2:
    """``wildcard_tail`` names templates whose last parameter may hold slashes (a catch-all route upstream)."""

    def __init__(self, doc: Mapping[str, Any], *, base_path: str = "", wildcard_tail: tuple[str, ...] = ()) -> None:
        self.doc = doc
        self.base_path = base_path
        self.definitions = _strict(doc.get("definitions", {}))
        self._routes: list[tuple[re.Pattern[str], str, Mapping[str, Any]]] = []
        for template, item in doc["paths"].items():
            names = re.findall(r"\{([^}]+)\}", template)
            regex = re.escape(base_path + template)
            for index, name in enumerate(names):
                last = index == len(names) - 1 and template in wildcard_tail
                regex = regex.replace(re.escape("{" + name + "}"), f"({'.+' if last else '[^/]+'})", 1)
            self._routes.append((re.compile(f"^{regex}$"), template, item))
        # Literal routes first: /pulls/pinned must not be read as /pulls/{index}.
        self._routes.sort(key=lambda r: r[1].count("{"))

    def validate(self, method: str, path: str, query: Mapping[str, list[str]], body: bytes) -> list[str]:
        """Problems with one request (empty when the server would accept its shape)."""
        where = f"{method} {path}"
        for pattern, template, item in self._routes:
            match = pattern.match(path)
            if match is None:
                continue
            op = item.get(method.lower())
            if op is None or method.lower() not in _VERBS:
                declared = sorted(v.upper() for v in item if v in _VERBS)
                return [f"{where}: {method} is not declared on {template} (only {', '.join(declared)})"]
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            names = re.findall(r"\{([^}]+)\}", template)
            problems = self._check_path(where, params, dict(zip(names, match.groups(), strict=True)))
            problems += self._check_query(where, params, query)
            problems += self._check_body(where, params, body)
            return problems
        return [f"{where}: no such path in the API description"]

    def _check_path(self, where: str, params: list[Mapping[str, Any]], values: Mapping[str, str]) -> list[str]:
        declared = {p["name"]: p for p in params if p.get("in") == "path"}
        return [p for name, value in values.items() for p in _typed(where, declared.get(name, {}), name, value)]

    def _check_query(self, where: str, params: list[Mapping[str, Any]], query: Mapping[str, list[str]]) -> list[str]:
        declared = {p["name"]: p for p in params if p.get("in") == "query"}
        problems = []
        for name, values in query.items():
            key = name.removesuffix("[]")
            if key not in declared:
                problems.append(f"{where}: query parameter {name!r} is not declared")
                continue
            for value in values:
                problems += _typed(where, declared[key], name, value)
        problems += [
            f"{where}: required query parameter {n!r} missing"
            for n, p in declared.items()
            if p.get("required") and n not in query
        ]
        return problems

    def _check_body(self, where: str, params: list[Mapping[str, Any]], body: bytes) -> list[str]:
        body_param = next((p for p in params if p.get("in") == "body"), None)
        if body_param is None:
            return [f"{where}: sends a body the operation does not take"] if body.strip() not in {b"", b"{}"} else []
        if not body.strip():
            return [f"{where}: the required body is missing"] if body_param.get("required") else []
        try:
            payload = json.loads(body)
        except ValueError:
            return [f"{where}: body is not JSON"]
        schema = {**_strict(body_param["schema"]), "definitions": self.definitions}
        validator = jsonschema.Draft4Validator(schema)
        return [
            f"{where}: body {'/'.join(map(str, e.path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(payload)
        ]


def _typed(where: str, spec: Mapping[str, Any], name: str, value: str) -> list[str]:
    kind = spec.get("type", "string")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"{where}: parameter {name}={value!r} is not an integer"]
    if kind == "boolean" and value not in {"true", "false"}:
        return [f"{where}: parameter {name}={value!r} is not a boolean"]
    if "enum" in spec and value not in [str(v) for v in spec["enum"]]:
        return [f"{where}: parameter {name}={value!r} is not one of {spec['enum']}"]
    return []
