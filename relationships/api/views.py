"""Relationships API: parse input, call one service or selector, render output."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import ErrorResponse403Serializer
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import CreatedCursorPagination
from core.responses import created_or_ok
from core.schema import NO_CONTENT
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
    @extend_schema(
        tags=TAGS,
        summary="Block a user (removes follows both ways and pending requests)",
        request=None,
        responses={201: s.RelationshipSerializer, 200: s.RelationshipSerializer},
    )
    def post(self, request, user_id: int):
        created = services.block_create(blocker=request.user, blocked_id=user_id)
        body = selectors.relationship_for(viewer=request.user, user_id=user_id)
        return Response(s.RelationshipSerializer(body).data, status=created_or_ok(created))

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
    @extend_schema(
        tags=TAGS,
        summary="Mute a user (their posts leave your feed and notifications; they are not told)",
        request=None,
        responses={201: s.RelationshipSerializer, 200: s.RelationshipSerializer},
    )
    def post(self, request, user_id: int):
        created = services.mute_create(muter=request.user, muted_id=user_id)
        body = selectors.relationship_for(viewer=request.user, user_id=user_id)
        return Response(s.RelationshipSerializer(body).data, status=created_or_ok(created))

    @extend_schema(tags=TAGS, summary="Unmute a user", request=None, responses={204: NO_CONTENT})
    def delete(self, request, user_id: int):
        services.mute_delete(muter=request.user, muted_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _EdgeListView(ListAPIView):
    pagination_class = CreatedCursorPagination


class FollowerListView(_EdgeListView):
    serializer_class = s.FollowerSerializer

    @extend_schema(
        tags=TAGS,
        summary="Who follows a user, newest first (a private account: its followers only)",
        responses={200: s.FollowerSerializer(many=True), **PRIVATE_LIST},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.follower_list(viewer=self.request.user, user_id=self.kwargs["user_id"])


class FollowingListView(_EdgeListView):
    serializer_class = s.FollowingSerializer

    @extend_schema(
        tags=TAGS,
        summary="Whom a user follows, newest first (a private account: its followers only)",
        responses={200: s.FollowingSerializer(many=True), **PRIVATE_LIST},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.following_list(viewer=self.request.user, user_id=self.kwargs["user_id"])


class BlockListView(_EdgeListView):
    serializer_class = s.BlockedUserSerializer

    @extend_schema(tags=TAGS, summary="Users you block, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.block_list(user=self.request.user)


class MuteListView(_EdgeListView):
    serializer_class = s.MutedUserSerializer

    @extend_schema(tags=TAGS, summary="Users you mute, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.mute_list(user=self.request.user)


class FollowRequestListView(_EdgeListView):
    serializer_class = s.FollowRequestSerializer

    @extend_schema(tags=TAGS, summary="Pending requests to follow you, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

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


class RelationshipBatchView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="How you relate to several users (unknown or deactivated ids are left out)",
        parameters=[s.RelationshipBatchQuerySerializer],
        responses={200: s.RelationshipSerializer(many=True)},
    )
    def get(self, request):
        query = s.RelationshipBatchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.relationships_for(
            viewer=request.user, user_ids=query.validated_data["ids"]
        )
        return Response(s.RelationshipSerializer(rows, many=True).data)


class SuggestionListView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Who to follow: friends of friends, then popular accounts",
        parameters=[s.SuggestionQuerySerializer],
        responses={200: s.SuggestionSerializer(many=True)},
    )
    def get(self, request):
        query = s.SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        users = selectors.suggestions(user=request.user, limit=query.validated_data["limit"])
        return Response(s.SuggestionSerializer(users, many=True).data)
