"""Relationships API: parse input, call one service or selector, render output."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.rendering import user_row
from accounts.schemas import UserListItemSerializer
from core.pagination import BoundedPagination, CreatedCursorPagination
from core.responses import created_or_ok
from core.schema import NO_CONTENT, ErrorResponse403Serializer
from core.throttling import WriteThrottled
from relationships import selectors, services
from relationships.api import serializers as s

TAGS = ["relationships"]


def forbidden(description: str) -> dict[int, OpenApiResponse]:
    return {403: OpenApiResponse(ErrorResponse403Serializer, description=description)}


FOLLOW_RESPONSES = {
    201: OpenApiResponse(
        s.RelationshipSerializer,
        description=(
            "Created: you now follow a public account (`following: true`), or a follow "
            "request to a private account is pending (`requested: true`)."
        ),
    ),
    200: OpenApiResponse(
        s.RelationshipSerializer,
        description="Nothing changed: you already follow them or already requested to.",
    ),
    **forbidden("A block stands between you (unblock first if it is yours)."),
}
PRIVATE_LIST = forbidden("A private account's lists are for its approved followers.")


class FollowView(WriteThrottled, APIView):
    validation_errors = {"post": {None: {"self_follow"}}}  # core.schema

    @extend_schema(
        tags=TAGS,
        summary="Follow a user (a private account gets a follow request)",
        request=None,
        responses=FOLLOW_RESPONSES,
    )
    def post(self, request, user_id: int):
        result = services.follow_create(follower=request.user, followee_id=user_id)
        body = selectors.relationship_for(viewer=request.user, user_id=user_id)
        return Response(s.RelationshipSerializer(body).data, status=created_or_ok(result.created))

    @extend_schema(
        tags=TAGS,
        summary="Unfollow a user, or withdraw your follow request",
        request=None,
        responses={204: NO_CONTENT},
    )
    def delete(self, request, user_id: int):
        services.follow_delete(follower=request.user, followee_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowerRemoveView(WriteThrottled, APIView):
    @extend_schema(
        tags=TAGS,
        summary="Remove a follower (they stop following you; their pending request goes too)",
        request=None,
        responses={204: NO_CONTENT},
    )
    def delete(self, request, user_id: int):
        services.follower_remove(user=request.user, follower_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockView(WriteThrottled, APIView):
    validation_errors = {"post": {None: {"self_block"}}}

    @extend_schema(
        tags=TAGS,
        summary="Block a user (removes follows both ways and pending requests)",
        request=None,
        responses={201: s.RelationshipSerializer, 200: s.RelationshipSerializer},
    )
    def post(self, request, user_id: int):
        result = services.block_create(blocker=request.user, blocked_id=user_id)
        body = selectors.relationship_for(viewer=request.user, user_id=user_id)
        return Response(s.RelationshipSerializer(body).data, status=created_or_ok(result.created))

    @extend_schema(
        tags=TAGS,
        summary="Unblock a user (follows are not restored)",
        request=None,
        responses={204: NO_CONTENT},
    )
    def delete(self, request, user_id: int):
        services.block_delete(blocker=request.user, blocked_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MuteView(WriteThrottled, APIView):
    validation_errors = {"post": {None: {"self_mute"}}}

    @extend_schema(
        tags=TAGS,
        summary="Mute a user (their posts leave your feed and notifications; they are not told)",
        request=None,
        responses={201: s.RelationshipSerializer, 200: s.RelationshipSerializer},
    )
    def post(self, request, user_id: int):
        result = services.mute_create(muter=request.user, muted_id=user_id)
        body = selectors.relationship_for(viewer=request.user, user_id=user_id)
        return Response(s.RelationshipSerializer(body).data, status=created_or_ok(result.created))

    @extend_schema(tags=TAGS, summary="Unmute a user", request=None, responses={204: NO_CONTENT})
    def delete(self, request, user_id: int):
        services.mute_delete(muter=request.user, muted_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _UserListView(ListAPIView):
    # A list of users as {"user", "created_at"} rows (accounts.rendering.user_row),
    # newest relation first. `user_of(row)`: the other user of a relation row.

    pagination_class = CreatedCursorPagination
    serializer_class = UserListItemSerializer

    def user_of(self, row):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = [
            user_row(self.user_of(row), created_at=row.created_at, request=request) for row in page
        ]
        return self.get_paginated_response(data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Who follows a user, newest first (a private account: its followers only)",
        responses={200: UserListItemSerializer(many=True), **PRIVATE_LIST},
    )
)
class FollowerListView(_UserListView):
    def get_queryset(self):
        return selectors.follower_list(viewer=self.request.user, user_id=self.kwargs["user_id"])

    def user_of(self, row):
        return row.follower


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Whom a user follows, newest first (a private account: its followers only)",
        responses={200: UserListItemSerializer(many=True), **PRIVATE_LIST},
    )
)
class FollowingListView(_UserListView):
    def get_queryset(self):
        return selectors.following_list(viewer=self.request.user, user_id=self.kwargs["user_id"])

    def user_of(self, row):
        return row.followee


@extend_schema_view(get=extend_schema(tags=TAGS, summary="Users you block, newest first"))
class BlockListView(_UserListView):
    def get_queryset(self):
        return selectors.block_list(user=self.request.user)

    def user_of(self, row):
        return row.blocked


@extend_schema_view(get=extend_schema(tags=TAGS, summary="Users you mute, newest first"))
class MuteListView(_UserListView):
    def get_queryset(self):
        return selectors.mute_list(user=self.request.user)

    def user_of(self, row):
        return row.muted


@extend_schema_view(
    get=extend_schema(tags=TAGS, summary="Pending requests to follow you, newest first")
)
class FollowRequestListView(ListAPIView):
    pagination_class = CreatedCursorPagination
    serializer_class = s.FollowRequestSerializer

    def get_queryset(self):
        return selectors.follow_request_list(user=self.request.user)


class FollowRequestApproveView(WriteThrottled, APIView):
    @extend_schema(
        tags=TAGS,
        summary="Approve a request to follow you (the requester becomes a follower)",
        request=None,
        responses={204: NO_CONTENT},
    )
    def post(self, request, request_id: int):
        services.follow_request_approve(user=request.user, request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FollowRequestRejectView(WriteThrottled, APIView):
    @extend_schema(
        tags=TAGS,
        summary="Reject a request to follow you (the requester is not told)",
        request=None,
        responses={204: NO_CONTENT},
    )
    def post(self, request, request_id: int):
        services.follow_request_reject(user=request.user, request_id=request_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RelationshipView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="How you relate to a user",
        responses={200: s.RelationshipSerializer},
    )
    def get(self, request, user_id: int):
        body = selectors.relationship_for(viewer=request.user, user_id=user_id)
        return Response(s.RelationshipSerializer(body).data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="How you relate to several users (unknown or deactivated ids are left out)",
        description="At most 100 ids, so one page: `next` and `previous` are null.",
        parameters=[s.RelationshipBatchQuerySerializer],
    )
)
class RelationshipBatchView(ListAPIView):
    validation_errors = {"get": {"ids": {"too_many"}}}
    pagination_class = BoundedPagination
    serializer_class = s.RelationshipSerializer

    def list(self, request, *args, **kwargs):
        query = s.RelationshipBatchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.relationships_for(
            viewer=request.user, user_ids=query.validated_data["ids"]
        )
        return self.get_paginated_response(s.RelationshipSerializer(rows, many=True).data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Who to follow: friends of friends, then popular accounts",
        description="At most 50 (`limit`), so one page: `next` and `previous` are null.",
        parameters=[s.SuggestionQuerySerializer],
    )
)
class SuggestionListView(ListAPIView):
    pagination_class = BoundedPagination
    serializer_class = s.SuggestionSerializer

    def list(self, request, *args, **kwargs):
        query = s.SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        users = selectors.suggestions(user=request.user, limit=query.validated_data["limit"])
        data = [
            user_row(
                user,
                request=request,
                followers_count=user.followers_count,
                mutual_count=user.mutual_count,
            )
            for user in users
        ]
        return self.get_paginated_response(data)
