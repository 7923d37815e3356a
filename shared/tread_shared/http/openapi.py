"""The OpenAPI document a client can rely on, completed from the routes themselves.

FastAPI describes bodies, parameters and the success answer. What Tread's shared machinery adds
to every service is described here, once, so that a new service's document is complete without
a line of its own: the bearer-JWT security scheme on the operations that authenticate, the
server (the gateway), the headers (``If-Match``, ``Idempotency-Key``, ``ETag``,
``Idempotent-Replayed``, ``Retry-After``, ``Location``) and each error status an operation can
answer, every one an ``application/problem+json`` :class:`~tread_shared.errors.ProblemDocument`.

What an operation answers is read from the route: its method, its path parameters, its body,
whether it depends on :func:`~tread_shared.auth.dependencies.authenticate`, and whether its code
calls :func:`~tread_shared.http.etag.check_if_match` / ``set_etag`` or sets ``Location``."""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter

from tread_shared.auth.dependencies import AUTHENTICATES, authenticate

BEARER = "bearerAuth"
SCHEMA_REF = "#/components/schemas/{model}"
PROBLEM_REF = {"$ref": SCHEMA_REF.format(model="ProblemDocument")}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

ERRORS: dict[str, str] = {
    "400": "Malformed request: the body is not JSON, a cursor was not made by the service, or"
    " the Idempotency-Key is empty or too long",
    "401": "No bearer token, or one that is refused",
    "403": "The caller's role may not do this",
    "404": "Nothing of that id in the caller's scope",
    "409": "The resource's state does not allow this, or the Idempotency-Key is in use",
    "412": "If-Match does not name the current version: read the resource again",
    "413": "The request body is too large",
    "431": "The request's header fields are too large together (over 32 KiB by default)",
    "422": "A parameter or the body is refused: `errors` names each field",
    "428": "If-Match is required: send the ETag you last read",
    "503": "The database is unavailable or overloaded; nothing was changed: retry",
}

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The resource's version: send it back as If-Match to change it",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The path of the resource created",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the"
        " same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0},
    },
}


# Where an operation carries the models of a body it documents itself (:func:`raw_body`), until
# they move to ``components/schemas``.
BODY_SCHEMAS = "x-tread-body-schemas"


def raw_body(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """``openapi_extra`` describing the JSON body of a route that reads the raw bytes itself
    (a signed webhook): the models go to ``components/schemas`` like any other, so that client
    generators name them once (inlined copies of ``Money`` would clash)."""
    schema = adapter.json_schema(ref_template=SCHEMA_REF)
    definitions: dict[str, Any] = schema.pop("$defs", {})
    title = schema.get("title")
    if title and "properties" in schema:
        definitions[title] = schema
        schema = {"$ref": SCHEMA_REF.format(model=title)}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        BODY_SCHEMAS: definitions,
    }


def document_contract(app: FastAPI, *, servers: list[dict[str, str]] | None = None) -> None:
    """Complete ``app``'s OpenAPI document (wraps ``app.openapi``; call it last)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        complete(app, schema, servers or [{"url": "/", "description": "The gateway"}])
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI, schema: dict[str, Any], servers: list[dict[str, str]]) -> None:
    schema["servers"] = servers
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token of the identity provider (`tread token` in development)",
    }
    operations = [
        (route, path, method, operation)
        for path, route in _routes(app)
        for method in route.methods or ()
        if (operation := schema.get("paths", {}).get(path, {}).get(method.lower())) is not None
    ]
    for *_, operation in operations:
        _adopt_body_models(operation, components.setdefault("schemas", {}))
    _one_name_per_model(schema)
    _rename_clashing_models(schema)
    for route, path, method, _ in operations:
        operation = schema["paths"][path][method.lower()]
        _complete_operation(route, path, method, operation, components)


def _adopt_body_models(operation: dict[str, Any], models: dict[str, Any]) -> None:
    """Move the models of a :func:`raw_body` to ``components/schemas``: FastAPI's own (in its
    request shape, ``Money-Input`` where it has two) where it has them, else as they are."""
    extra: dict[str, Any] = operation.pop(BODY_SCHEMAS, {})
    names = {name: f"{name}-Input" if f"{name}-Input" in models else name for name in extra}
    references = {SCHEMA_REF.format(model=o): SCHEMA_REF.format(model=n) for o, n in names.items()}
    for name, model in extra.items():
        models.setdefault(names[name], _rewrite(model, references))
    if "requestBody" in operation:
        operation["requestBody"] = _rewrite(operation["requestBody"], references)


def _one_name_per_model(schema: dict[str, Any]) -> None:
    """FastAPI documents a model whose request and response shapes differ (a field with a
    default is required in an answer) as ``Money-Input`` and ``Money-Output`` with one title,
    which makes client generators drop models. Both become ``Money`` when they are the same
    apart from that; otherwise the answer's is ``Money`` and the request's ``MoneyIn``
    (``NamedRequirementInput`` for a ``NamedRequirementIn``)."""
    models: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    renamed: dict[str, str] = {}
    for name in list(models):
        if not name.endswith("-Output"):
            continue
        base = name.removesuffix("-Output")
        request = models.get(f"{base}-Input")
        renamed[name] = base
        if request is None:
            continue
        if _same_apart_from_required(request, models[name]):
            del models[f"{base}-Input"]
            renamed[f"{base}-Input"] = base
        else:
            renamed[f"{base}-Input"] = (
                f"{base.removesuffix('In')}Input" if base.endswith("In") else f"{base}In"
            )
    for name in list(models):
        if name.endswith("-Input") and name not in renamed:
            renamed[name] = name.removesuffix("-Input")
    _rename(schema, renamed)


def _same_apart_from_required(first: dict[str, Any], second: dict[str, Any]) -> bool:
    def shape(model: dict[str, Any]) -> str:
        text = json.dumps({k: v for k, v in model.items() if k != "required"}, sort_keys=True)
        return text.replace('-Input"', '"').replace('-Output"', '"')

    return shape(first) == shape(second)


def _rename_clashing_models(schema: dict[str, Any]) -> None:
    """Two models of one name in different modules (``DecisionIn`` of plans and of resources):
    FastAPI names them after their module path (``tread_actionplans__resources__schemas__
    DecisionIn``), which client generators do not resolve. They become ``ResourcesDecisionIn``
    (the domain folder, then the class name)."""
    models: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    renamed: dict[str, str] = {}
    for name in list(models):
        parts = name.split("__")
        if len(parts) < 3 or not all(part.islower() for part in parts[:-1]):
            continue  # not a module path (``Page_Union_PlanOut__Tombstone__`` is FastAPI's own)
        domain = parts[-3] if parts[-2] in {"schemas", "models"} else parts[-2]
        new = "".join(word.capitalize() for word in domain.split("_")) + parts[-1]
        while new in models or new in renamed.values():
            new = "_" + new
        renamed[name] = new
    _rename(schema, renamed)


def _rename(schema: dict[str, Any], renamed: dict[str, str]) -> None:
    """Rename component models (``old → new``; a model already under ``new`` is kept) and every
    reference to them."""
    if not renamed:
        return
    models: dict[str, Any] = schema["components"]["schemas"]
    for old, new in renamed.items():
        model = models.pop(old, None)
        if model is not None and new not in models:
            models[new] = model
            if "title" in model:
                model["title"] = new
    references = {
        SCHEMA_REF.format(model=o): SCHEMA_REF.format(model=n) for o, n in renamed.items()
    }
    for key in ("paths", "components"):
        schema[key] = _rewrite(schema.get(key, {}), references)


def _rewrite(node: Any, references: dict[str, str]) -> Any:
    """``node`` with every string that is a key of ``references`` replaced by its value."""
    if isinstance(node, dict):
        return {key: _rewrite(value, references) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(item, references) for item in node]
    if isinstance(node, str):
        return references.get(node, node)
    return node


def _routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Each route of the document with its full path (routers included with a prefix)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield str(context.path_format), route


def _complete_operation(
    route: APIRoute, path: str, method: str, operation: dict[str, Any], components: dict[str, Any]
) -> None:
    source = _source(route.endpoint)
    module = _module_source(route.endpoint)
    authenticated = _authenticates(route.dependant)
    has_body = "requestBody" in operation
    has_path_parameters = "{" in path
    has_parameters = bool(operation.get("parameters")) or has_body
    if_match = _if_match(method, source, module)
    idempotent = method == "POST" and authenticated
    etag = method != "DELETE" and _sets_etag(route, source)

    operation["summary"] = _summary(route)
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    if if_match is not None:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": if_match,
                "description": "The ETag last read; the change is refused if it is not current"
                + ("" if if_match else " (optional here)"),
                "schema": {"type": "string"},
            }
        )
    if idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A key of the client's: a retry with the same key and body gets"
                " the first answer instead of a second effect",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            }
        )
    if not parameters:
        operation.pop("parameters")
    if authenticated:
        operation["security"] = [{BEARER: []}]

    responses: dict[str, Any] = operation.setdefault("responses", {})
    for code, response in responses.items():
        if not code.startswith("2"):
            continue
        headers = response.setdefault("headers", {})
        if code == "201" and "Location" in source:
            headers["Location"] = HEADERS["Location"]
        if etag and _single_resource(response, components):
            headers["ETag"] = HEADERS["ETag"]
        if idempotent:
            headers["Idempotent-Replayed"] = HEADERS["Idempotent-Replayed"]
        if not headers:
            response.pop("headers")

    # Every operation that authenticates reads the database: 503 when it is away. Any request
    # with too many header bytes is a 431.
    wanted = {"431", "503"} if authenticated else {"431"}
    names = {str(p.get("name")) for p in parameters}
    if has_body or idempotent or "cursor" in names:
        wanted.add("400")
    if authenticated:
        wanted |= {"401", "403"}
    # An id in the path, or one in the query naming what to look in (``account_id``).
    if has_path_parameters or any(name.endswith("_id") for name in names):
        wanted.add("404")
    if method in WRITE_METHODS and authenticated:
        wanted.add("409")
    if if_match is not None:
        wanted.add("412")
    if if_match is not None and _asks_if_match(method, source, module):
        wanted.add("428")
    if has_body:
        wanted.add("413")
    if has_parameters or idempotent:
        wanted.add("422")
    for range_code in ("4XX", "5XX"):
        responses.pop(range_code, None)
    for code in sorted(wanted):
        problem = responses.setdefault(code, {"description": ERRORS[code]})
        problem.setdefault("description", ERRORS[code])
        content = problem.setdefault("content", {})
        documented = content.pop("application/json", None) or {}
        content.setdefault(
            "application/problem+json", {"schema": documented.get("schema", PROBLEM_REF)}
        )
    if "503" in responses:
        responses["503"].setdefault("headers", {})["Retry-After"] = HEADERS["Retry-After"]
    operation["responses"] = dict(sorted(responses.items()))


def _if_match(method: str, source: str, module: str) -> bool | None:
    """``True`` when If-Match is required, ``False`` when the header is not always needed
    (honoured when sent: ``check_if_match_when_sent``; or required on some paths only, the
    route reading the header itself, as a first qualification that has nothing to match),
    ``None`` when not read."""
    if "check_if_match(" in source:
        return _READS_IF_MATCH.search(source) is None
    if "check_if_match_when_sent(" in source:
        return False
    if method in {"PUT", "PATCH", "DELETE"} and "check_if_match" in module:
        return True
    return None


def _asks_if_match(method: str, source: str, module: str) -> bool:
    """A request without If-Match can get a 428: the route calls ``check_if_match`` (on every
    path or some), not only ``check_if_match_when_sent``."""
    if "check_if_match(" in source:
        return True
    if "check_if_match_when_sent(" in source:
        return False
    return method in {"PUT", "PATCH", "DELETE"} and "check_if_match" in module


_READS_IF_MATCH = re.compile(r"""headers\.get\(\s*["']if-match["']""", re.IGNORECASE)


_CALL = re.compile(r"\b([A-Za-z_]\w*)\(")


def _sets_etag(route: APIRoute, source: str) -> bool:
    """The endpoint calls ``set_etag``, itself or through a function of its module."""
    if "set_etag(" in source:
        return True
    module = sys.modules.get(getattr(route.endpoint, "__module__", ""))
    for name in set(_CALL.findall(source)):
        helper = getattr(module, name, None)
        if (
            inspect.isfunction(helper)
            and helper is not route.endpoint
            and "set_etag(" in _source(helper)
        ):
            return True
    return False


def _single_resource(response: dict[str, Any], components: dict[str, Any]) -> bool:
    """The answer is one resource (an ETag names its version), not a page of them."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    reference = str(schema.get("$ref", ""))
    model = components.get("schemas", {}).get(reference.rsplit("/", 1)[-1], {})
    return bool(reference) and "items" not in model.get("properties", {})


def _authenticates(dependant: Dependant) -> bool:
    return any(
        d.call is authenticate or getattr(d.call, AUTHENTICATES, False) or _authenticates(d)
        for d in dependant.dependencies
    )


def _summary(route: APIRoute) -> str:
    """The docstring's first sentence when it is short and plain, else the function's name as
    words (``list_account_cases`` → "List account cases")."""
    if route.summary:
        return route.summary
    doc = " ".join((inspect.getdoc(route.endpoint) or "").split())
    first = re.split(r"(?<=\.)\s", doc, maxsplit=1)[0].rstrip(".").replace("``", "")
    plain = first[:1].isupper() and not re.search(r"[():;]", first) and len(first) <= 72
    if plain:
        return first
    words = route.name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _source(function: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _module_source(function: Callable[..., Any]) -> str:
    module = sys.modules.get(getattr(function, "__module__", ""))
    try:
        return inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):
        return ""
