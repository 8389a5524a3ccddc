"""The OpenAPI schema as a checker: what the API renders against what it declares."""

from django.utils.dateparse import parse_datetime
from drf_spectacular.generators import SchemaGenerator


def openapi_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema: dict, openapi: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def response_schema(openapi: dict, path: str, method: str = "get", status: str = "200") -> dict:
    operation = openapi["paths"][path][method]
    return operation["responses"][status]["content"]["application/json"]["schema"]


def _problems(value, schema: dict, openapi: dict, where: str) -> list[str]:
    """Where `value` differs from `schema`: every declared property present, nothing
    undeclared, types, formats and nullability as declared."""
    nullable = schema.get("nullable", False)
    schema = resolve(schema, openapi)
    nullable = nullable or schema.get("nullable", False)
    if value is None:
        return [] if nullable else [f"{where}: null, not declared nullable"]
    if "allOf" in schema:
        return [p for part in schema["allOf"] for p in _problems(value, part, openapi, where)]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            fits = [not _problems(value, part, openapi, where) for part in schema[key]]
            return [] if sum(fits) == 1 else [f"{where}: fits {sum(fits)} of the {key}"]
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, not an object"]
        declared = schema.get("properties", {})
        problems = [f"{where}.{k}: not declared" for k in value.keys() - declared.keys()]
        problems += [f"{where}.{k}: missing" for k in declared.keys() - value.keys()]
        for name in declared.keys() & value.keys():
            problems += _problems(value[name], declared[name], openapi, f"{where}.{name}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, not an array"]
        item = schema.get("items", {})
        return [
            p for i, v in enumerate(value) for p in _problems(v, item, openapi, f"{where}[{i}]")
        ]
    python = {"string": str, "integer": int, "boolean": bool}.get(kind)
    if python and (
        not isinstance(value, python) or (kind == "integer" and isinstance(value, bool))
    ):
        return [f"{where}: {value!r} is not a {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    if schema.get("format") == "date-time" and parse_datetime(value) is None:
        return [f"{where}: {value!r} is not a date-time"]
    return []


def assert_matches(openapi: dict, value, *, path: str = "", component: str = "") -> None:
    """`value` against the 200 response of GET `path`, or against a component."""
    if path:
        schema = response_schema(openapi, path)
    else:
        schema = {"$ref": f"#/components/schemas/{component}"}
    problems = _problems(value, schema, openapi, path or component)
    assert not problems, problems
