"""What the fake Azure DevOps checks every request against.

Three independent sources, so a request the real service would reject fails a test:
1. the SDK's own route table: the (HTTP method, location id, api-version, body model) of every call the
   ``azure-devops`` client can make, read from the client classes' source;
2. the SDK's msrest models, strictly: a body key the model does not know, or a value of the wrong type, fails
   (msrest itself silently drops unknown keys);
3. the official Swagger 2.0 description of the Git API (``git-7.1.json``): the path must match a template for
   that method, query parameters must be declared, and the body must validate against ``definitions`` with
   jsonschema Draft 4, every object closed with ``additionalProperties: false``.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(
    os.environ.get(
        "GITOPS_PROMOTION_AZURE_SPEC",
        Path(__file__).resolve().parents[3] / "shared/specs/azure-devops/git-7.1.json",
    )
)

# -- 1. the SDK's route table -------------------------------------------------------------------------
_CALL = re.compile(
    r"def (?P<op>\w+)\(.*?(?:_serialize\.body\(\w+, '(?P<body>[^']+)'\).*?)?"
    r"_send\(http_method='(?P<method>\w+)',\s*location_id='(?P<lid>[0-9a-f-]+)',\s*version='(?P<ver>[^']+)'",
    re.S,
)


@dataclass(frozen=True)
class SdkRoute:
    op: str
    method: str
    location_id: str
    version: str
    body_model: str | None
    # What the SDK deserialises answers into ("[X]": a wrapped list), for every SDK call on this route: one
    # location serves e.g. both get_pull_request (one) and get_pull_requests (a list).
    answer_models: tuple[str, ...] = ()


@cache
def sdk_routes() -> dict[tuple[str, str], SdkRoute]:
    """(method, location id) -> the SDK call that uses it, for the clients the adapter uses."""
    from azure.devops.v7_1.git.git_client_base import GitClientBase
    from azure.devops.v7_1.location.location_client import LocationClient
    from azure.devops.v7_1.policy.policy_client import PolicyClient
    from azure.devops.v7_1.security.security_client import SecurityClient

    routes: dict[tuple[str, str], SdkRoute] = {}
    for cls in (GitClientBase, LocationClient, PolicyClient, SecurityClient):
        source = inspect.getsource(cls)
        # One function at a time, so a body model never leaks into the next function's match.
        for chunk in re.split(r"\n    def ", source)[1:]:
            match = _CALL.search("def " + chunk)
            if match:
                answer = re.search(r"_deserialize\('([^']+)'", chunk)
                key = (match["method"], match["lid"])
                first = routes.get(key) or SdkRoute(match["op"], *key, match["ver"], match["body"])
                models = (*first.answer_models, answer.group(1)) if answer else first.answer_models
                routes[key] = dataclasses.replace(first, answer_models=models)
    return routes


# -- 2. the SDK's models, strictly --------------------------------------------------------------------
@cache
def _models() -> dict[str, type]:
    from azure.devops import _models as base_models
    from azure.devops.v7_1.git import models as git_models
    from azure.devops.v7_1.location import models as location_models
    from azure.devops.v7_1.policy import models as policy_models

    found: dict[str, type] = {}
    for module in (base_models, location_models, policy_models, git_models):
        found.update({k: v for k, v in vars(module).items() if isinstance(v, type) and hasattr(v, "_attribute_map")})
    return found


_SCALARS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "long": (int,),
    "bool": (bool,),
    "float": (int, float),
}


def _check_value(kind: str, value: Any, where: str, errors: list[str]) -> None:
    if value is None or kind == "object":
        return
    if kind.startswith("[") and kind.endswith("]"):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list for {kind}, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _check_value(kind[1:-1], item, f"{where}[{index}]", errors)
    elif kind.startswith("{") and kind.endswith("}"):
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a mapping for {kind}")
            return
        for key, item in value.items():
            _check_value(kind[1:-1], item, f"{where}.{key}", errors)
    elif kind in _SCALARS:
        bad_bool = kind != "bool" and isinstance(value, bool)
        if bad_bool or not isinstance(value, _SCALARS[kind]):
            errors.append(f"{where}: expected {kind}, got {type(value).__name__} {value!r}")
    elif kind == "iso-8601":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            errors.append(f"{where}: {value!r} is not an ISO 8601 date-time")
    else:
        check_model(kind, value, where, errors)


def check_answer(kind: str, payload: Any) -> list[str]:
    """Problems reading an answer as the SDK does: ``[X]`` is a ``{"count", "value"}`` wrapper of X."""
    errors: list[str] = []
    if kind.startswith("["):
        if not isinstance(payload, dict) or set(payload) != {"count", "value"}:
            return [f"answer: a list must come wrapped as {{count, value}}, got {str(payload)[:80]}"]
        _check_value(kind, payload["value"], "answer.value", errors)
    else:
        _check_value(kind, payload, "answer", errors)
    return errors


def check_model(model: str, data: Any, where: str = "body", errors: list[str] | None = None) -> list[str]:
    """Problems deserialising ``data`` into SDK model ``model``; unknown keys and wrong types are problems."""
    errors = [] if errors is None else errors
    cls = _models().get(model)
    if cls is None:
        errors.append(f"{where}: the SDK has no model {model!r}")
        return errors
    if not isinstance(data, dict):
        errors.append(f"{where}: expected an object for {model}, got {type(data).__name__}")
        return errors
    attributes = {spec["key"]: spec["type"] for spec in getattr(cls, "_attribute_map").values()}  # noqa: B009 - msrest Model attribute, not typed
    for key, value in data.items():
        if key not in attributes:
            errors.append(f"{where}.{key}: not a field of the SDK model {model}")
        else:
            _check_value(attributes[key], value, f"{where}.{key}", errors)
    if not errors:
        from msrest import Deserializer

        try:
            Deserializer(_models())(model, data)
        except Exception as exc:
            errors.append(f"{where}: msrest cannot deserialise it as {model}: {exc}")
    return errors


# -- 3. the Swagger description -----------------------------------------------------------------------
def _flatten(name: str, defs: dict[str, Any], seen: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``name`` with its allOf parents merged in, so additionalProperties: false sees every real field."""
    if name in seen:
        return seen[name]
    schema = copy.deepcopy(defs[name])
    properties: dict[str, Any] = {}
    for part in schema.pop("allOf", []):
        parent = _flatten(part["$ref"].rsplit("/", 1)[1], defs, seen) if "$ref" in part else part
        properties.update(parent.get("properties", {}))
    properties.update(schema.get("properties", {}))
    for key, prop in properties.items():
        if prop.get("format") in ("JObject", "JToken"):
            # The generator writes the service's free-form JSON values as strings of format JObject; the
            # service sends (and the SDK reads) JSON objects there.
            properties[key] = {"description": prop.get("description", "")}
    if properties:
        schema["properties"] = properties
        schema.setdefault("type", "object")
    if schema.get("type") == "object" and properties and "additionalProperties" not in schema:
        schema["additionalProperties"] = False  # the rule: catch misspelt fields
    seen[name] = schema
    return schema


@dataclass(frozen=True)
class SpecOperation:
    path: str
    method: str
    query: frozenset[str]
    body_ref: str | None
    pattern: re.Pattern[str]
    answer: dict[str, Any] | None = None  # the 200 schema


class Swagger:
    """The Git API description, loaded once per test session (it is half a megabyte)."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        raw_defs = document["definitions"]
        seen: dict[str, dict[str, Any]] = {}
        self.definitions = {name: _flatten(name, raw_defs, seen) for name in raw_defs}
        self.operations: list[SpecOperation] = []
        for template, item in document["paths"].items():
            regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            pattern = re.compile(f"^{regex}$", re.IGNORECASE)  # the service is case-insensitive on paths
            for method, op in item.items():
                if not isinstance(op, dict) or "parameters" not in op:
                    continue
                params = [p for p in op["parameters"] if "$ref" not in p]
                body = next((p["schema"].get("$ref") for p in params if p.get("in") == "body"), None)
                query = frozenset(p["name"] for p in params if p.get("in") == "query")
                answer = op.get("responses", {}).get("200", {}).get("schema")
                self.operations.append(SpecOperation(template, method.upper(), query, body, pattern, answer))

    def operation(self, method: str, path: str) -> SpecOperation | None:
        """The operation for a request path of the form ``/{organization}/...``, or None."""
        candidates = [op for op in self.operations if op.method == method and op.pattern.match(path)]
        # Prefer the most literal template when two match (e.g. .../pullrequests vs .../{repositoryId}).
        candidates.sort(key=lambda op: op.path.count("{"))
        return candidates[0] if candidates else None

    def check_body(self, ref: str, body: Any, where: str = "body") -> list[str]:
        return self._check({"$ref": ref}, body, where)

    def check_answer(self, operation: SpecOperation, payload: Any) -> list[str]:
        """The fake's own answer against the 200 schema (lists travel wrapped in ``{count, value}``)."""
        schema = operation.answer
        if not schema:
            return []
        if schema.get("type") == "array" and isinstance(payload, dict):
            return self._check(schema, payload.get("value"), "answer.value")
        return self._check(schema, payload, "answer")

    def _check(self, schema: dict[str, Any], data: Any, where: str) -> list[str]:
        from jsonschema import Draft4Validator

        validator = Draft4Validator({**schema, "definitions": self.definitions})
        return [
            f"{where}{''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message[:200]}"
            for error in validator.iter_errors(data)
        ]


@cache
def swagger() -> Swagger | None:
    """The loaded description, or None when ../shared/specs is absent (a clone without it)."""
    return Swagger(SPEC_PATH) if SPEC_PATH.is_file() else None
