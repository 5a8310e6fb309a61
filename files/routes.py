"""HTTP routes of files: a streamed upload and a permission-checked download."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from core.config import Settings
from core.errors import BadRequest, UnsupportedMediaType
from core.http import path_int, reply, route
from directory.auth import authenticate
from files import naming, storage
from files.actions import do_upload_file
from files.queries import access_file, file_public
from files.schemas import FilePublic


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _upload_name(request: Request) -> str:
    try:
        name = naming.filename_from_header(request.headers.get("x-filename"))
    except ValueError as exc:
        raise BadRequest("X-Filename must be percent-encoded UTF-8.", slug="bad-filename") from exc
    return name or naming.DEFAULT_NAME


async def upload_file(request: Request) -> Response:
    """The body is the file; `Content-Type` and `X-Filename` describe it."""
    actor = await authenticate(request)
    content_type = naming.media_type(request.headers.get("content-type"))
    if content_type is None:
        raise UnsupportedMediaType("Content-Type is not a media type.")
    settings = _settings(request)
    storage.refuse_declared(request.headers.get("content-length"), settings.upload_limit_bytes)
    stored = await do_upload_file(
        request.stream(), actor=actor, root=storage.files_root(settings.data_dir),
        limit=settings.upload_limit_bytes, name=_upload_name(request), content_type=content_type,
    )
    return reply(file_public(stored), status=201)


async def download_file(request: Request) -> Response:
    """The bytes, to the uploader and to those who may see a record referencing the file."""
    actor = await authenticate(request)
    stored = await access_file(actor, path_int(request, "file_id"))
    path = storage.files_root(_settings(request).data_dir) / stored.path
    headers = {
        "Content-Disposition": naming.content_disposition(stored.name),
        "ETag": f'"{stored.sha256}"', "X-Content-SHA256": stored.sha256,
        "Cache-Control": "private, max-age=0", "X-Content-Type-Options": "nosniff",
    }
    return FileResponse(path, media_type=stored.content_type, headers=headers)


routes = [
    route("/v1/files", upload_file, "POST", "Upload a file (快传), streamed", response=FilePublic,
          status=201, tag="files"),
    route("/v1/files/{file_id}", download_file, "GET", "Download a file", tag="files"),
]
