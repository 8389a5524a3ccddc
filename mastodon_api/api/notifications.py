"""`GET /api/v1/notifications` (types[], exclude_types[], account_id, paging),
`GET /api/v1/notifications/{id}`, `POST /api/v1/notifications/clear`,
`POST /api/v1/notifications/{id}/dismiss`.

Only ever the caller's own notifications, as the notifications app shows them
(`notifications.selectors.visible_notifications`). The list is ordered by list
position (`sort_id`: a notification that happens again moves to the top, with
the same id); a cursor that is one of the caller's notification ids stands for
its position, any other id for a point in time (ids are time-ordered), so both
the ids of the entities and the positions in the `Link` header page correctly.
`GET /api/v2/notifications` (Mastodon 4.3's grouped notifications) groups the
same page: favourites and reblogs of one status, and follows, within the page
(`grouped_types[]`, default all three); the group counts are the page's, not
all time's. Its other v2 routes (group details, unread count, policies) are not
supported.
"""

from dataclasses import replace

from django.db.models import Q
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.errors import NotFound
from mastodon_api import notifications as entity
from mastodon_api.paging import Page, paged
from mastodon_api.views import MastodonView
from notifications import selectors, services
from notifications.models import Notification

DEFAULT_LIMIT = 40
MAX_LIMIT = 80
READ = "read:notifications"
WRITE = "write:notifications"


def _ids(request, name: str) -> list[str]:
    return request.query_params.getlist(f"{name}[]") or request.query_params.getlist(name)


def _positions(user, page: Page) -> Page:
    """The page with each cursor that is one of the user's notification ids replaced
    by its list position (one query for all of them)."""
    cursors = {c for c in (page.max_id, page.since_id, page.min_id) if c is not None}
    if not cursors:
        return page
    found = dict(
        Notification.objects.filter(recipient_id=user.pk, pk__in=cursors).values_list(
            "pk", "sort_id"
        )
    )

    def position(value):
        return found.get(value, value) if value is not None else None

    return replace(
        page,
        max_id=position(page.max_id),
        since_id=position(page.since_id),
        min_id=position(page.min_id),
    )


def _page(request) -> tuple[list[dict], Page, list[int], bool]:
    """(rendered notifications, the page, their list positions, whether more exist)."""
    page = Page.from_request(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
    verbs = entity.verbs_for(
        types=_ids(request, "types"), exclude_types=_ids(request, "exclude_types")
    )
    rows = (
        selectors.notification_list(user=request.user, verbs=verbs)
        if verbs
        else Notification.objects.none()  # only types Warble has none of
    )
    account_id = request.query_params.get("account_id")
    if account_id:
        if not (account_id.isascii() and account_id.isdigit() and len(account_id) <= 19):
            raise ValidationError({"account_id": ["Must be an id."]})
        rows = rows.filter(Q(actor_id=int(account_id)))
    positions = _positions(request.user, page)
    found, more = positions.finish(positions.apply(rows, "sort_id"))
    data = entity.render(viewer=request.user, notifications=found, request=request)
    return data, page, [n.sort_id for n in found], more


class NotificationListView(MastodonView):
    required_scopes = {"GET": READ}

    def get(self, request):
        data, page, ids, more = _page(request)
        return paged(Response(data), request, page, ids, more=more)


class GroupedNotificationListView(MastodonView):
    required_scopes = {"GET": READ}

    def get(self, request):
        data, page, ids, more = _page(request)
        grouped = set(_ids(request, "grouped_types")) or entity.GROUPED_TYPES
        body = entity.group(data, grouped_types=grouped)
        return paged(Response(body), request, page, ids, more=more)


class NotificationDetailView(MastodonView):
    required_scopes = {"GET": READ}

    def get(self, request, notification_id: int):
        rows = selectors.notifications_by_ids(user=request.user, ids=[notification_id])
        rendered = entity.render(viewer=request.user, notifications=rows, request=request)
        if not rendered:
            raise NotFound("Record not found")
        return Response(rendered[0])


class NotificationClearView(MastodonView):
    required_scopes = {"POST": WRITE}

    def post(self, request):
        services.notifications_clear(user=request.user)
        return Response({}, status=status.HTTP_200_OK)


class NotificationDismissView(MastodonView):
    required_scopes = {"POST": WRITE}

    def post(self, request, notification_id: int):
        if not services.notification_delete(user=request.user, notification_id=notification_id):
            raise NotFound("Record not found")
        return Response({}, status=status.HTTP_200_OK)
