"""Accounts: /api/v1/accounts/..., follow_requests, blocks, mutes, bookmarks,
favourites, /api/v2/suggestions. Each view calls Warble's selectors/services."""

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts import services as account_services
from accounts.api.serializers import ProfileUpdateSerializer
from core.errors import NotFound
from mastodon_api import entities
from mastodon_api.api.common import flag, id_list, path_id, text
from mastodon_api.entities import StatusItem, StatusRenderer
from mastodon_api.paging import Page, paged
from mastodon_api.views import MastodonView, PublicRead
from media import services as media_services
from media.api.serializers import ProfileImageUploadSerializer
from media.models import Media
from relationships import selectors as rel_selectors
from relationships import services as rel_services
from search import selectors as search_selectors
from tweets import selectors as tweet_selectors

ACCOUNTS_MAX = 80


class VerifyCredentialsView(MastodonView):
    required_scopes = {"GET": "read:accounts"}

    def get(self, request):
        return Response(entities.credential_account(request.user, request=request))


class UpdateCredentialsView(MastodonView):
    """display_name, note, locked, avatar, header (images through the media pipeline:
    the profile shows them once processed). Other Mastodon fields (fields_attributes,
    bot, discoverable, source[...]) are accepted and ignored."""

    required_scopes = {"PATCH": "write:accounts"}

    def patch(self, request):
        data = request.data
        changes = {}
        if "display_name" in data:
            changes["display_name"] = text(data, "display_name")
        if "note" in data:
            changes["bio"] = text(data, "note")
        if "locked" in data:
            changes["is_private"] = flag(data, "locked")
        checked = ProfileUpdateSerializer(data=changes, partial=True)
        if not checked.is_valid():
            names = {"bio": "note", "is_private": "locked"}
            raise ValidationError({names.get(k, k): v for k, v in checked.errors.items()})
        user = account_services.user_update_profile(user=request.user, **checked.validated_data)
        for field, kind in (("avatar", Media.Kind.AVATAR), ("header", Media.Kind.BANNER)):
            if field in request.FILES:
                image = ProfileImageUploadSerializer(data={"file": request.FILES[field]})
                if not image.is_valid():
                    raise ValidationError({field: image.errors.get("file", ["Invalid image."])})
                media_services.media_upload(
                    owner=user, file=image.validated_data["file"], kind=kind
                )
        user.refresh_from_db()
        return Response(entities.credential_account(user, request=request))


class AccountView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:accounts"}

    def get(self, request, account_id: str):
        user = rel_selectors.user_get_visible_to(viewer=request.user, user_id=path_id(account_id))
        return Response(entities.account(user, request=request))


class LookupView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:accounts"}

    def get(self, request):
        acct = (request.query_params.get("acct") or "").strip().lstrip("@")
        username, _, domain = acct.partition("@")
        if not username or (domain and domain.split(":")[0] != request.get_host().split(":")[0]):
            raise NotFound()
        user = rel_selectors.user_get_by_username_visible_to(viewer=request.user, username=username)
        return Response(entities.account(user, request=request))


class AccountStatusesView(MastodonView):
    """exclude_replies, exclude_reblogs, only_media; pinned=true is empty (Warble has no
    pinned posts); tagged is not supported (empty)."""

    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:statuses"}

    def get(self, request, account_id: str):
        params = request.query_params
        user = rel_selectors.user_lists_get_visible_to(
            viewer=request.user, user_id=path_id(account_id)
        )
        page = Page.from_request(request)
        if flag(params, "pinned") or params.get("tagged"):
            return Response([])
        exclude_replies = flag(params, "exclude_replies")
        if flag(params, "only_media") or flag(params, "exclude_reblogs"):
            posts = tweet_selectors.visible_posts(viewer=request.user).filter(author_id=user.pk)
            if exclude_replies:
                posts = posts.filter(reply_to__isnull=True)
            if flag(params, "only_media"):
                posts = posts.exclude(media_ids=[])
            rows, more = page.finish(page.apply(posts))
            items = [StatusItem(id=p.id, post=p) for p in rows]
        else:
            entries = tweet_selectors.user_timeline(
                viewer=request.user,
                user=user,
                window=page.window,
                include_replies=not exclude_replies,
            )
            rows, more = page.finish(entries, window=True)
            items = [
                StatusItem(id=e.id, post=e.post, reblogger=e.retweeted_by, created_at=e.created_at)
                for e in rows
            ]
        data = StatusRenderer(viewer=request.user, request=request).render_items(items)
        return paged(Response(data), request, page, [i.id for i in items], more=more)


def _account_page(request, queryset, user_field: str, *, field: str = "id"):
    page = Page.from_request(request, default=40, maximum=ACCOUNTS_MAX)
    rows, more = page.finish(page.apply(queryset, field))
    accounts = entities.Accounts(request=request)
    data = [accounts(getattr(row, user_field)) for row in rows]
    return paged(Response(data), request, page, [getattr(r, field) for r in rows], more=more)


class FollowersView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:accounts"}

    def get(self, request, account_id: str):
        edges = rel_selectors.follower_list(viewer=request.user, user_id=path_id(account_id))
        return _account_page(request, edges, "follower")


class FollowingView(MastodonView):
    permission_classes = [PublicRead]
    required_scopes = {"GET": "read:accounts"}

    def get(self, request, account_id: str):
        edges = rel_selectors.following_list(viewer=request.user, user_id=path_id(account_id))
        return _account_page(request, edges, "followee")


def _relationship_response(request, user_id: int):
    rel = rel_selectors.relationship_for(viewer=request.user, user_id=user_id)
    return Response(entities.relationship(rel))


class _RelationshipAction(MastodonView):
    required_scopes = {"POST": "write:follows"}

    def act(self, request, user_id: int) -> None:
        raise NotImplementedError

    def post(self, request, account_id: str):
        user_id = path_id(account_id)
        self.act(request, user_id)
        return _relationship_response(request, user_id)


class FollowView(_RelationshipAction):
    def act(self, request, user_id):
        rel_services.follow_create(follower=request.user, followee_id=user_id)


class UnfollowView(_RelationshipAction):
    def act(self, request, user_id):
        rel_selectors.user_get_visible_to(viewer=request.user, user_id=user_id)
        rel_services.follow_delete(follower=request.user, followee_id=user_id)


class BlockView(_RelationshipAction):
    required_scopes = {"POST": "write:blocks"}

    def act(self, request, user_id):
        rel_services.block_create(blocker=request.user, blocked_id=user_id)


class UnblockView(_RelationshipAction):
    required_scopes = {"POST": "write:blocks"}

    def act(self, request, user_id):
        rel_services.block_delete(blocker=request.user, blocked_id=user_id)


class MuteView(_RelationshipAction):
    required_scopes = {"POST": "write:mutes"}

    def act(self, request, user_id):
        rel_services.mute_create(muter=request.user, muted_id=user_id)


class UnmuteView(_RelationshipAction):
    required_scopes = {"POST": "write:mutes"}

    def act(self, request, user_id):
        rel_services.mute_delete(muter=request.user, muted_id=user_id)


class RelationshipsView(MastodonView):
    required_scopes = {"GET": "read:follows"}

    def get(self, request):
        ids = id_list(request.query_params, "id")
        rels = rel_selectors.relationships_for(viewer=request.user, user_ids=ids)
        return Response([entities.relationship(r) for r in rels])


class AccountSearchView(MastodonView):
    required_scopes = {"GET": "read:accounts"}

    def get(self, request):
        q = (request.query_params.get("q") or "").strip().lstrip("@")
        page = Page.from_request(request, default=40, maximum=ACCOUNTS_MAX)
        if not q:
            return Response([])
        users = search_selectors.user_search(viewer=request.user, q=q, limit=page.limit)
        accounts = entities.Accounts(request=request)
        return Response([accounts(u) for u in users])


class FollowRequestsView(MastodonView):
    required_scopes = {"GET": "read:follows"}

    def get(self, request):
        return _account_page(
            request, rel_selectors.follow_request_list(user=request.user), "requester"
        )


class _FollowRequestAction(MastodonView):
    required_scopes = {"POST": "write:follows"}

    def post(self, request, account_id: str):
        requester_id = path_id(account_id)
        pending = (
            rel_selectors.follow_request_list(user=request.user)
            .filter(requester_id=requester_id)
            .values_list("id", flat=True)
            .first()
        )
        if pending is None:
            raise NotFound()
        self.act(request, pending)
        return _relationship_response(request, requester_id)


class FollowRequestAuthorizeView(_FollowRequestAction):
    def act(self, request, request_id):
        rel_services.follow_request_approve(user=request.user, request_id=request_id)


class FollowRequestRejectView(_FollowRequestAction):
    def act(self, request, request_id):
        rel_services.follow_request_reject(user=request.user, request_id=request_id)


class BlocksView(MastodonView):
    required_scopes = {"GET": "read:blocks"}

    def get(self, request):
        return _account_page(request, rel_selectors.block_list(user=request.user), "blocked")


class MutesView(MastodonView):
    required_scopes = {"GET": "read:mutes"}

    def get(self, request):
        return _account_page(request, rel_selectors.mute_list(user=request.user), "muted")


def _post_page(request, queryset):
    """Bookmarks and favourites: paged by the bookmark's/like's id, showing posts."""
    page = Page.from_request(request)
    rows, more = page.finish(page.apply(queryset))
    items = [StatusItem(id=row.post_id, post=row.post) for row in rows]
    data = StatusRenderer(viewer=request.user, request=request).render_items(items)
    return paged(Response(data), request, page, [r.id for r in rows], more=more)


class BookmarksView(MastodonView):
    required_scopes = {"GET": "read:bookmarks"}

    def get(self, request):
        return _post_page(request, tweet_selectors.bookmarks_of(user=request.user))


class FavouritesView(MastodonView):
    required_scopes = {"GET": "read:favourites"}

    def get(self, request):
        likes = tweet_selectors.user_liked(viewer=request.user, user=request.user)
        return _post_page(request, likes)


class SuggestionsView(MastodonView):
    required_scopes = {"GET": "read"}

    def get(self, request):
        page = Page.from_request(request, default=40, maximum=ACCOUNTS_MAX)
        users = rel_selectors.suggestions(user=request.user, limit=page.limit)
        accounts = entities.Accounts(request=request)
        return Response(
            [{"source": "global", "sources": ["global"], "account": accounts(u)} for u in users]
        )
