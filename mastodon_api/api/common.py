"""Small input helpers of the Mastodon views (Mastodon clients send JSON, forms and
multipart alike: booleans as true/"true"/"1", lists as `id[]=..`)."""

from rest_framework.exceptions import ValidationError

from core.errors import NotFound

_MAX_ID = 2**63 - 1
TRUE = {"true", "1", "on", "yes"}
FALSE = {"false", "0", "off", "no", ""}


def flag(data, name: str, default: bool = False) -> bool:
    value = data.get(name, None)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationError({name: ["Must be a boolean."]})


def path_id(value: str) -> int:
    """An id from the path: a string of digits in range, or 404 (a status or account
    that cannot exist is not found, as in Mastodon)."""
    if not (value.isascii() and value.isdigit() and len(value) <= 19 and int(value) <= _MAX_ID):
        raise NotFound()
    return int(value)


def body_id(value, name: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= _MAX_ID):
        raise ValidationError({name: ["Must be an id."]})
    return int(text)


def id_list(data, name: str, *, maximum: int = 40) -> list[int]:
    """`name[]` (query or form), or `name` as a JSON list."""
    values = []
    if hasattr(data, "getlist"):
        values = data.getlist(f"{name}[]") or data.getlist(name)
    else:
        raw = data.get(f"{name}[]", data.get(name))
        values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
    if len(values) > maximum:
        raise ValidationError({name: [f"At most {maximum}."]})
    return [body_id(v, name) for v in values]


def text(data, name: str, *, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError({name: ["Must be a string."]})
    return value
