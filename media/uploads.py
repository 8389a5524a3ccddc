"""The upload handler of the media routes: the file goes to a temporary file on
disk (never into memory), and the size cap is checked on every chunk as it
streams in, so an upload over MEDIA_UPLOAD_MAX_BYTES stops at the first chunk
past it (413), before Pillow sees any of it. The request's own body cap
(core.request_limits, REQUEST_BODY_MAX_BYTES_BY_ROUTE) refuses a declared
Content-Length over it before anything is read."""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from core.errors import PayloadTooLarge


class CappedUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.limit: int = settings.MEDIA_UPLOAD_MAX_BYTES
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.file.close()  # the temporary file is removed with it
            raise PayloadTooLarge(f"Uploads are limited to {self.limit} bytes.")
        return super().receive_data_chunk(raw_data, start)
