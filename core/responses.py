"""Small response helpers shared by the API views."""

from rest_framework import status


def created_or_ok(created: bool) -> int:
    """Idempotent creates (DESIGN.md §6): 201 when this request created it, else 200."""
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK
