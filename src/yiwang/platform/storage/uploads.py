"""An upload handler that never keeps more of an uploaded file than the store could accept.

Django writes multipart file parts to temporary files before a view runs; without a bound, a client could
fill the disk with one request. :class:`BoundedUploadHandler` keeps at most ``largest kind limit + 1`` bytes of
each file (and drops the rest as it arrives); the action then refuses the file with ``storage.too_large``.
Install it with ``FILE_UPLOAD_HANDLERS = ["yiwang.platform.storage.uploads.BoundedUploadHandler"]``. The
reverse proxy should bound the request body too (``client_max_body_size``).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import TemporaryFileUploadHandler

from yiwang.platform.storage.conf import storage_settings


class BoundedUploadHandler(TemporaryFileUploadHandler):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.keep = storage_settings().largest_limit + 1
        self.kept = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.kept = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.keep - self.kept
        if room > 0:
            piece = raw_data[:room]
            self.file.write(piece)
            self.kept += len(piece)
        return None

    def file_complete(self, file_size: int) -> Any:
        return super().file_complete(self.kept)  # the size of what was kept, not of what was sent
