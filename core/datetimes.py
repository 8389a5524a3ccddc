"""Datetimes as the API renders them, for payloads built without a serializer
(the feed's payload cache, realtime frames)."""

from datetime import datetime

from django.utils import timezone


def iso_datetime(value: datetime) -> str:
    """What DRF's `DateTimeField` renders (ISO 8601 in the current time zone,
    "Z" for UTC), so a hand-built payload matches the REST one to the byte."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
