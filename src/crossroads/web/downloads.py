"""The one way a file leaves the application: an attachment the browser saves, never renders or caches."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse

_CHUNK = 64 * 1024


def content_disposition(filename: str) -> str:
    # RFC 6266: a plain ASCII name for old clients, the exact UTF-8 name for the others.
    fallback = filename.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _chunks(content: bytes) -> Iterator[bytes]:
    view = memoryview(content)
    for start in range(0, len(view), _CHUNK):
        yield bytes(view[start:start + _CHUNK])


def file_download(content: bytes, *, filename: str, media_type: str) -> StreamingResponse:
    """A file to save under `filename`.

    The media type must be one the server decided (detected at upload, or the export's own), never the client's;
    nosniff stops browsers guessing another, and no-store keeps person data out of shared caches.
    """
    return StreamingResponse(
        _chunks(content), media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename), "Content-Length": str(len(content)),
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
