"""JWT authentication that honours server-side revocation of access tokens.

Every token carries the user's `token_version` as the "ver" claim; bumping the
version (password change, deactivation, erasure) makes all older tokens fail.
Every token pair also carries a session id, the "sid" claim, given at sign-in
and kept by refresh rotation; signing out records the sid as revoked
(`accounts.models.RevokedSession`), which fails that session's access tokens
too, and no other session's. Tokens issued before sessions existed have no sid:
they keep working until they expire, and a refresh gives the pair a sid.

Checking a token costs no PostgreSQL round trip when the cache knows the answer
(`AUTH_CACHE_SECONDS`, services mode): a verdict "this user, this session, this
token version are valid" is kept under `auth:<user>:<sid>` with the user's
revocation *generation*, read in one MGET with `authg:<user>`. Every revocation
(`forget_authentication`: token version bumped, session signed out, and any
save of the user row: deactivation, erasure, suspension...) writes a new
generation, now and after commit, so no cached verdict of that user counts any
more: revocation stays immediate. Only valid verdicts are cached, so a revoked
session always goes to PostgreSQL. A web process keeps the valid verdicts it
read, and uses them without asking Redis while its subscription to revocations
says none came (accounts.local_verdicts). The user it gives has only the fields the
verdict needs loaded (id, token_version, is_active, deactivated_at) and those of
the user's summary (SUMMARY_FIELDS: a new post renders its author from them); any
other field is loaded from the row, all at once, when first read
(User.refresh_from_db).

The one reader of `Authorization` headers for HTTP, the WebSocket handshake and
the event stream is `bearer_token`: the scheme name is case-insensitive (RFC
7235 §2.1), so `bearer <token>` works everywhere `Bearer <token>` does.
"""

import functools
import time
import uuid
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.test.signals import setting_changed
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.local_verdicts import enabled as local_verdicts_enabled
from accounts.local_verdicts import local_verdicts, publish_revocation
from accounts.models import RevokedSession, User
from accounts.rendering import USER_SUMMARY_FIELDS
from core.degrade import cache_breaker
from core.instances import loaded

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret
SESSION_ID_CLAIM = "sid"
AUTH_SCHEME = "bearer"
_MAX_ID = 2**63 - 1


def bearer_token(header: bytes | str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme in any case);
    None without one or for another scheme. A bearer header that is not exactly
    `<scheme> <token>` is an AuthenticationFailed (401), as simplejwt has it."""
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    parts = (header or "").split()
    if not parts or parts[0].lower() != AUTH_SCHEME:
        return None
    if len(parts) != 2:
        raise AuthenticationFailed(
            "Authorization header must contain two space-delimited values",
            code="bad_authorization_header",
        )
    return parts[1]


def token_user_id(payload: Mapping[str, object]) -> int:
    """The user id a signed token names, or InvalidToken (401).

    simplejwt looks the claim up as given, so a signed token whose `user_id` is
    not an id ("abc", 1.5, a list) made the lookup raise a 500 on HTTP and break
    the WebSocket handshake. Ours are digit strings (simplejwt writes str(id))."""
    value = payload.get(api_settings.USER_ID_CLAIM)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        raise InvalidToken("Token contained no recognizable user identification")
    if not 1 <= number <= _MAX_ID:
        raise InvalidToken("Token contained no recognizable user identification")
    return number


def new_session_id() -> str:
    return uuid.uuid4().hex


def token_session_id(payload: Mapping[str, object]) -> str | None:
    """The session id of a signed token (32 hex digits), None for a token issued
    before sessions existed, InvalidToken (401) for anything else."""
    value = payload.get(SESSION_ID_CLAIM)
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 32:
        try:
            return uuid.UUID(hex=value).hex
        except ValueError:
            pass
    raise InvalidToken("Token contained no recognizable session")


def authenticated_user(payload: Mapping[str, object]) -> User:
    """The user a validated token stands for (a cached verdict, or one query), or
    AuthenticationFailed: unknown or suspended user, revoked tokens (token version
    or signed-out session), deactivated account. The token's session id is left on the user as
    `token_session_id` (sockets and streams close when that session signs out)."""
    user_id = token_user_id(payload)  # before querying with it
    sid = token_session_id(payload)
    ttl = settings.AUTH_CACHE_SECONDS
    if not ttl:
        return _checked_user(payload, user_id, sid)
    version = payload.get(TOKEN_VERSION_CLAIM)
    verdicts = local_verdicts() if local_verdicts_enabled() else None
    kept, mark = verdicts.lookup(user_id, sid, version) if verdicts else (None, None)
    if kept is not None:
        return _verdict_user(user_id, sid, version, kept)
    keys = [_generation_key(user_id), _verdict_key(user_id, sid)]
    found = cache_breaker.call(
        "authentication reads PostgreSQL", lambda: cache.get_many(keys), lambda: None
    )
    if found is not None:
        generation = found.get(keys[0])
        verdict = found.get(keys[1])
        if (
            generation is not None
            and isinstance(verdict, tuple)
            and len(verdict) == 3
            and verdict[:2] == (generation, version)
        ):
            if verdicts:
                verdicts.keep(user_id, sid, version, verdict[2], mark=mark)
            return _verdict_user(user_id, sid, version, verdict[2])
    user = _checked_user(payload, user_id, sid)
    if found is not None:  # under the generation read before the row: a revocation since wins
        cache_breaker.call(
            "authentication reads PostgreSQL",
            lambda: _remember(keys, found.get(keys[0]), user, ttl),
            lambda: None,
        )
        if verdicts:
            verdicts.keep(user_id, sid, version, _summary_values(user), mark=mark)
    return user


def _remember(keys: list[str], generation: int | None, user: User, ttl: int) -> None:
    if generation is None:  # none yet (or expired, evicted): start one, unless one appeared
        generation = time.time_ns()
        if not cache.add(keys[0], generation, timeout=_GENERATION_SECONDS):
            return
    cache.set(keys[1], (generation, user.token_version, _summary_values(user)), timeout=ttl)


def _checked_user(payload: Mapping[str, object], user_id: int, sid: str | None) -> User:
    users = User.objects.filter(pk=user_id)
    if sid is not None:  # the same query: no extra round trip per request
        users = users.annotate(session_revoked=Exists(RevokedSession.objects.filter(sid=sid)))
    user = users.first()
    if user is None:
        raise AuthenticationFailed("User not found", code="user_not_found")
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed("User is inactive", code="user_inactive")
    if payload.get(TOKEN_VERSION_CLAIM) != user.token_version or getattr(
        user, "session_revoked", False
    ):
        raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
    if user.deactivated_at is not None:
        raise AuthenticationFailed("Account is deactivated.", code="user_inactive")
    user.token_session_id = sid  # type: ignore[attr-defined]
    return user


# Also kept in a verdict: what shows the signed-in user in what they write (a new
# post's author), so rendering it costs no query. Every change of them saves the
# row or calls forget_authentication, which retires the verdict.
SUMMARY_FIELDS = tuple(name for name in USER_SUMMARY_FIELDS if name != "id")


def _summary_values(user: User) -> tuple:
    """The summary fields as stored in the row (a file's name, not the file)."""
    values = (getattr(user, name) for name in SUMMARY_FIELDS)
    return tuple(value.name if isinstance(value, FieldFile) else value for value in values)


def _verdict_user(user_id: int, sid: str | None, version: object, summary: tuple) -> User:
    """The user a valid verdict stands for: these fields loaded, the rest deferred."""
    known = {"id": user_id, "token_version": version, "is_active": True, "deactivated_at": None}
    known.update(zip(SUMMARY_FIELDS, summary, strict=True))
    user = loaded(User, connection.alias, known.keys(), known.values())
    user.token_session_id = sid  # type: ignore[attr-defined]
    return user


# A generation only needs to be new when written: an expired or evicted one is
# replaced by a new value, which no verdict cached before carries.
_GENERATION_SECONDS = 86_400


def _generation_key(user_id: int) -> str:
    return f"authg:{user_id}"


def _verdict_key(user_id: int, sid: str | None) -> str:
    return f"auth:{user_id}:{sid or '-'}"


def forget_authentication(user_id: int) -> None:
    """No cached verdict of this user counts any more (a revocation, or any change
    of the user row): a new generation, written now and again after commit (a
    request that read the row before the commit cached it, if at all, under the
    generation it read before, which is no longer the current one)."""
    ttl = settings.AUTH_CACHE_SECONDS
    if not ttl:
        return

    def bump() -> None:
        cache_breaker.call(
            "a cached authentication verdict may outlive a revocation",
            lambda: _bump_generation(user_id),
            lambda: None,
        )

    bump()
    transaction.on_commit(bump)


def _bump_generation(user_id: int) -> None:
    key, generation = _generation_key(user_id), time.time_ns()
    if local_verdicts_enabled():
        publish_revocation(
            user_id,
            generation_key=cache.make_key(key),
            generation=generation,
            timeout=_GENERATION_SECONDS,
        )
    else:
        cache.set(key, generation, timeout=_GENERATION_SECONDS)


class JWTAuthentication(authentication.JWTAuthentication):
    def __init__(self) -> None:  # DRF makes one per request: no user model lookup each time
        self.user_model = User

    def get_raw_token(self, header):
        token = bearer_token(header)
        return None if token is None else token.encode("latin-1")

    def get_validated_token(self, raw_token: bytes) -> Token:
        """simplejwt's check, done once per token and process: a client sends the same
        access token with every request until it expires, and what its bytes alone
        decide (signature, claims, type) cannot change. Only the expiry is checked
        again; an expired token goes through simplejwt's check for its usual 401.
        Revocation is not decided here but by `authenticated_user`, every time."""
        try:
            token, refused_from = _verified_token(raw_token)
        except TokenError:
            return super().get_validated_token(raw_token)
        if _now() >= refused_from:
            return super().get_validated_token(raw_token)
        return token

    def get_user(self, validated_token):
        return authenticated_user(validated_token.payload)


@functools.lru_cache(maxsize=4096)
def _verified_token(raw_token: bytes) -> tuple[Token, float]:
    """A token whose signature, claims and type passed (failures are not kept), and
    the time (epoch seconds) from which simplejwt's expiry check refuses it: its
    "exp" plus the leeway. The same test, without building datetimes per request."""
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            token = token_class(raw_token)
        except TokenError:
            continue
        leeway = token.get_token_backend().get_leeway().total_seconds()
        return token, float(token.payload["exp"]) + leeway
    raise TokenError("not valid for any token type")


_now = time.time  # the expiry's clock (tests move it)


@receiver(setting_changed)
def _forget_verified_tokens(*, setting: str, **kwargs) -> None:
    if setting == "SIMPLE_JWT":  # another key or algorithm decides differently
        _verified_token.cache_clear()
