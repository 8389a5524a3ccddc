"""`Idempotency-Key` for creating requests (DESIGN.md §6).

Same key and same body: the first response is replayed. Same key, another
body: 422. Same key while the first request is still running: 409. A request
that fails with an error response raised as an exception (a 400) or a server
error releases its key so the client can retry; one that died without either
(killed worker) is taken over by a retry after IN_FLIGHT_TIMEOUT.
"""

import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import IdempotencyRecord

if TYPE_CHECKING:
    from rest_framework.views import APIView

V = TypeVar("V", bound="APIView")
P = ParamSpec("P")

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
RETENTION = timedelta(hours=24)
# Longer than any request may run: an older in-flight record belongs to a
# request that died, and a retry may take its key over.
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    # What `idempotent` accepts: printable ASCII, at most MAX_KEY_LENGTH (else a 400).
    type={"type": "string", "maxLength": MAX_KEY_LENGTH, "pattern": "^[ -~]*$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Client-chosen unique key (a UUID) making a retried create safe: the same key "
        "and body replay the first response; another body with the key answers 422."
    ),
)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request body."
    default_code = "idempotency_key_reused"


class IdempotencyKeyInFlight(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed."
    default_code = "idempotency_key_in_flight"


def _json_default(value: object) -> str:
    """An uploaded file (multipart bodies) counts by its content, not its name."""
    if isinstance(value, File):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{value.name}:{digest.hexdigest()}"
    return str(value)


def _request_hash(request: Request) -> str:
    # Keyed: bodies hold secrets (register's password), and a plain SHA-256 of a
    # body whose other fields are known is a fast offline password-guessing oracle.
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict (multipart): every value of every field
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, default=_json_default) if data else ""
    message = f"{request.method} {request.path}\n{body}".encode()
    key = f"warble.idempotency:{settings.SECRET_KEY}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _scope(request: Request) -> str:
    user = getattr(request, "user", None)
    who = str(user.pk) if user is not None and user.is_authenticated else "anon"
    return f"{who}:{request.path}"[:200]


def _claim(*, scope: str, key: str, digest: str) -> IdempotencyRecord | None:
    """Insert the in-flight record, or None if the key is already taken."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=digest)
    except IntegrityError:
        return None


def _take_over_if_abandoned(existing: IdempotencyRecord) -> bool:
    """Delete an in-flight record older than IN_FLIGHT_TIMEOUT; True if this call did."""
    deleted, _ = IdempotencyRecord.objects.filter(
        pk=existing.pk,
        response_status__isnull=True,
        created_at__lt=timezone.now() - IN_FLIGHT_TIMEOUT,
    ).delete()
    return bool(deleted)


def idempotent(
    view_method: Callable[Concatenate[V, Request, P], Response],
) -> Callable[Concatenate[V, Request, P], Response]:
    """Decorate a DRF view's `post` so it honours the `Idempotency-Key` header."""

    @functools.wraps(view_method)
    def wrapper(self: V, request: Request, /, *args: P.args, **kwargs: P.kwargs) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
            raise ValidationError(
                {HEADER: [f"At most {MAX_KEY_LENGTH} printable ASCII characters."]}
            )
        scope, digest = _scope(request), _request_hash(request)
        record = _claim(scope=scope, key=key, digest=digest)
        if record is None:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:  # released between our insert and this read
                raise IdempotencyKeyInFlight()
            if existing.request_hash != digest:
                raise IdempotencyKeyReused()
            if existing.in_flight:
                # A request that died mid-way (worker killed, timeout) never
                # released its key; its retry takes the key over instead of
                # answering 409 until the record is pruned a day later.
                if _take_over_if_abandoned(existing):
                    record = _claim(scope=scope, key=key, digest=digest)
                if record is None:
                    raise IdempotencyKeyInFlight()
            else:
                replay = Response(existing.response_body, status=existing.response_status)
                replay["Idempotent-Replayed"] = "true"
                return replay
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
        else:
            record.response_status = response.status_code
            record.response_body = response.data
            record.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper


def prune_idempotency_records(*, older_than: timedelta = RETENTION) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
