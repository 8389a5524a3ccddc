"""What every Mastodon API view shares (mastodon_api/INTERFACE.md)."""

from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from accounts.authentication import JWTAuthentication
from core.throttling import WriteThrottled
from mastodon_api.authentication import OAuthTokenAuthentication, ScopePermission


class MastodonView(WriteThrottled, APIView):
    """Base of every view of the Mastodon face.

    - authenticates OAuth tokens and Warble JWTs;
    - requires a signed-in user (`permission_classes`; public routes override it
      with `PublicRead`) and, for OAuth tokens, the scope `required_scopes` names
      for the method (a dict method -> scope, e.g. {"GET": "read:statuses"});
    - parses JSON, form and multipart bodies (Mastodon clients send all three);
    - throttles as the native API (writes also count against the "write" rate);
    - is left out of Warble's OpenAPI schema (Mastodon's documentation is its spec).
    """

    authentication_classes = [OAuthTokenAuthentication, JWTAuthentication]
    permission_classes = [IsAuthenticated, ScopePermission]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    required_scopes: dict[str, str] = {}
    schema = None


class PublicRead(ScopePermission):
    """Anyone may read (GET/HEAD/OPTIONS); other methods need a signed-in user.
    OAuth tokens still need the route's scope."""

    def has_permission(self, request, view) -> bool:
        if request.method not in ("GET", "HEAD", "OPTIONS") and not (
            request.user and request.user.is_authenticated
        ):
            return False
        return super().has_permission(request, view)
