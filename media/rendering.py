"""How a media item is shown: in its own endpoint and inside posts (one shape,
declared by media.schemas.MediaSerializer)."""

from typing import Any

from media.models import Media
from media.storage import media_storage


def media_payload(media: Media) -> dict[str, Any]:
    ready = media.state == Media.State.READY
    storage = media_storage()
    variants = (
        {
            name: {
                "url": storage.url(variant["name"]),
                "width": variant["width"],
                "height": variant["height"],
            }
            for name, variant in media.variants.items()
        }
        if ready
        else None
    )
    return {
        "id": str(media.id),
        "type": "image",
        "state": media.state,
        "url": storage.url(media.original) if ready and media.original else None,
        "variants": variants,
        "width": media.width if ready else None,
        "height": media.height if ready else None,
        "alt_text": media.alt_text,
        "blurhash": media.blurhash or None,
        "failure_reason": media.failure_reason or None,
    }
