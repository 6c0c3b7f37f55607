"""GitHub's OpenAPI description and GraphQL schema, loaded once, as request/response validators for the fake.

openapi-core checks path, verb, parameters and body; it lets undeclared query parameters through, so that
check is ours. Responses are built from the spec's own examples (`example()`) and checked too, so the
fake cannot drift from what GitHub returns.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import graphql
from graphql.execution.values import get_variable_values
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from tests.forge.specs import ensure_specs

SPEC_HOST = "https://api.github.com"
# The spec's examples describe octocat/Hello-World; the fake rewrites these to its own repo and address.
EXAMPLE_REPO = "octocat/Hello-World"
EXAMPLE_API = "https://api.github.com"
EXAMPLE_WEB = "https://github.com"


@dataclass(frozen=True)
class _Operation:
    pattern: re.Pattern[str]
    template: str
    methods: Mapping[str, frozenset[str]]  # verb -> declared query parameter names


class GitHubSchemas:
    """Both published descriptions, parsed; build with `load_schemas()` (cached per process)."""

    def __init__(self, openapi_doc: dict[str, Any], graphql_doc: dict[str, Any]) -> None:
        self.doc = openapi_doc
        # Validating the 13 MB document itself takes ~25 s and proves nothing about our requests: off.
        self.openapi = OpenAPI.from_dict(openapi_doc, config=Config(spec_validator_cls=None))
        introspection = graphql_doc.get("data", graphql_doc)
        self.graphql = graphql.build_client_schema(introspection)
        self._operations = [self._operation(path, item) for path, item in openapi_doc["paths"].items()]

    def _operation(self, path: str, item: Mapping[str, Any]) -> _Operation:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        methods: dict[str, frozenset[str]] = {}
        for verb, op in item.items():
            if verb in {"get", "post", "put", "patch", "delete"}:
                params = [self._deref(p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]
                methods[verb] = frozenset(p["name"] for p in params if p.get("in") == "query")
        return _Operation(re.compile(f"^{regex}$"), path, methods)

    def _deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return self._deref(target)

    # -- REST -----------------------------------------------------------------------------------------------
    def request_violations(
        self, method: str, path: str, query: Mapping[str, list[str]], body: bytes, content_type: str
    ) -> list[str]:
        """Why GitHub would reject this request (empty when it conforms to the description)."""
        where = f"{method} {path}"
        args = {k: v[-1] for k, v in query.items()}
        request = MockRequest(SPEC_HOST, method.lower(), path, args=args, data=body, content_type=content_type)
        problems = [f"{where}: {_describe(err)}" for err in self.openapi.iter_request_errors(request)]
        if problems:
            return problems
        declared = self._declared_query(method.lower(), path)
        unknown = sorted(set(query) - declared)
        if unknown:
            problems.append(f"{where}: undeclared query parameter(s) {', '.join(unknown)}")
        return problems

    def _declared_query(self, verb: str, path: str) -> frozenset[str]:
        for op in self._operations:
            if op.pattern.match(path) and verb in op.methods:
                return op.methods[verb]
        return frozenset()

    def response_violations(self, method: str, path: str, status: int, payload: Any) -> list[str]:
        """Why this response would not be one GitHub documents."""
        request = MockRequest(SPEC_HOST, method.lower(), path)
        response = MockResponse(json.dumps(payload).encode(), status_code=status)
        return [
            f"response to {method} {path} ({status}): {_describe(err)}"
            for err in self.openapi.iter_response_errors(request, response)
        ]

    def example(self, name: str) -> Any:
        """A deep copy of the spec's named example (components/examples/<name>)."""
        return copy.deepcopy(self.doc["components"]["examples"][name]["value"])

    # -- GraphQL --------------------------------------------------------------------------------------------
    def graphql_violations(self, document: graphql.DocumentNode, variables: Mapping[str, Any]) -> list[str]:
        """Validation errors of a parsed document and its variables against GitHub's schema."""
        errors = [e.message for e in graphql.validate(self.graphql, document)]
        if errors:
            return errors
        for definition in document.definitions:
            if isinstance(definition, graphql.OperationDefinitionNode):
                coerced = get_variable_values(self.graphql, definition.variable_definitions or (), dict(variables))
                if isinstance(coerced, list):
                    errors.extend(e.message for e in coerced)
        return errors


def _describe(err: Exception) -> str:
    cause = err.__cause__
    details = [
        f"{'/'.join(str(p) for p in se.absolute_path) or '<root>'}: {se.message[:200]}"
        for se in getattr(cause, "schema_errors", None) or []
    ]
    text = f"{type(err).__name__} {err}"[:300] + (f": {'; '.join(details)}" if details else "")
    return text.replace("\n", " ")


@functools.cache
def load_schemas() -> GitHubSchemas:
    """Fetch (if needed) and parse both descriptions; cached so a test session pays it once (~1 s)."""
    paths = ensure_specs()
    openapi_doc = json.loads(paths.openapi.read_text(encoding="utf-8"))
    graphql_doc = json.loads(paths.graphql.read_text(encoding="utf-8"))
    return GitHubSchemas(openapi_doc, graphql_doc)
