"""HTTP routes of files: a streamed upload and a permission-checked download."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from core.config import Settings
from core.errors import BadRequest, UnsupportedMediaType
from core.http import Header, Reply, path_int, reply, route
from directory.auth import authenticate
from files import multipart, naming, storage
from files.actions import do_upload_file
from files.queries import access_file, file_public
from files.schemas import FilePublic

# A form envelope stored as the file would be a corrupt file: refused, never stored.
REFUSED = ("application/x-www-form-urlencoded",)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _upload_name(request: Request) -> str:
    try:
        name = naming.filename_from_header(request.headers.get("x-filename"))
    except ValueError as exc:
        raise BadRequest("X-Filename must be percent-encoded UTF-8.", slug="bad-filename") from exc
    return name or naming.DEFAULT_NAME


def _upload_type(request: Request) -> str:
    """The media type of the body; 415 for a form envelope that is not one file upload."""
    content_type = naming.media_type(request.headers.get("content-type"))
    if content_type is None:
        raise UnsupportedMediaType("Content-Type is not a media type.")
    main = content_type.split(";")[0]
    if main in REFUSED or (main.startswith("multipart/") and main != "multipart/form-data"):
        raise UnsupportedMediaType(
            "Send the file as the raw body (with Content-Type and X-Filename) "
            "or as multipart/form-data with one file part.")
    return content_type


async def upload_file(request: Request) -> Response:
    """Anyone signed in may upload; until a record refers to the file only they may read it.

    Either the body is the file (its `Content-Type` and the percent-encoded `X-Filename` describe
    it) or it is `multipart/form-data` with one file part (`curl -F file=@a.pdf`), whose own
    headers give the name and type. Both are streamed to disk; past the upload limit, 413.
    """
    actor = await authenticate(request)
    content_type, settings = _upload_type(request), _settings(request)
    limit = settings.upload_limit_bytes
    if content_type.startswith("multipart/form-data"):
        storage.refuse_declared(request.headers.get("content-length"),
                                limit + multipart.ENVELOPE_ALLOWANCE)
        form = multipart.FormUpload(request.stream(), multipart.boundary_of(content_type))
        head = await form.file_head()
        chunks, name, content_type = form.chunks(), head.name, head.content_type
    else:
        storage.refuse_declared(request.headers.get("content-length"), limit)
        chunks, name = request.stream(), _upload_name(request)
    stored = await do_upload_file(chunks, actor=actor, root=storage.files_root(settings.data_dir),
                                  limit=limit, name=name, content_type=content_type)
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


X_FILENAME = Header(
    "X-Filename", "The file's name for a raw-body upload, percent-encoded UTF-8 "
    "(会议纪要.docx as `%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81.docx`); default `file`.",
    {"type": "string", "maxLength": 1024})
UPLOAD_BODY = {
    "application/octet-stream": {
        "schema": {"type": "string", "format": "binary",
                   "description": "The file itself. Any media type may be sent as "
                                  "`Content-Type` (application/pdf, image/png …): it is kept."}},
    "multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "The one file part; its filename and Content-Type are kept."}}},
        "encoding": {"file": {"contentType": "*/*"}}},
}
DOWNLOAD = Reply(
    description="The file's bytes, with the media type it was uploaded with.",
    media_type="*/*", schema={"type": "string", "format": "binary"},
    headers={"Content-Disposition": "attachment, with the name as RFC 5987 `filename*`",
             "ETag": "The SHA-256 of the bytes, quoted", "X-Content-SHA256": "The SHA-256"})

routes = [
    route("/v1/files", upload_file, "POST", "Upload a file (快传), streamed", response=FilePublic,
          status=201, headers=(X_FILENAME,), content=UPLOAD_BODY, tag="files", errors={
              400: "X-Filename is not percent-encoded UTF-8, or the multipart body is broken.",
              413: "The file is larger than the upload limit (50 MiB by default).",
              415: "Content-Type is not a media type, or is a form envelope other than "
                   "multipart/form-data (application/x-www-form-urlencoded, multipart/mixed).",
              422: "A multipart body without a file part, or with more than one.",
          }),
    route("/v1/files/{file_id}", download_file, "GET", "Download a file", response=DOWNLOAD,
          tag="files", errors={404: "Unless you uploaded it or may see a record that refers "
                                    "to it (a message, document, notice or task)."}),
]
