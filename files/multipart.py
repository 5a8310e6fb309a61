"""A `multipart/form-data` upload read as a stream (`curl -F file=@a.pdf`).

The one file part's bytes are handed on as they arrive, so a 50 MiB upload goes to the same
streamed storage as a raw body and is never held whole in memory. python-multipart does the
parsing (the push parser Starlette itself builds on); this module only steers it: it finds the
file part, reads its name and type from the part's headers, and refuses what is not one upload.
Other (text) parts are skipped, up to a small size; a second file part is refused (422).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from core.errors import BadRequest, PayloadTooLarge, Unprocessable
from files import naming

HEADER_LIMIT = 16 * 1024
FIELD_LIMIT = 64 * 1024
ENVELOPE_ALLOWANCE = FIELD_LIMIT + HEADER_LIMIT  # what a request may carry beyond the file


@dataclass(frozen=True)
class PartHead:
    """What the file part says of itself: its file name and media type."""

    name: str
    content_type: str


def boundary_of(content_type: str) -> bytes:
    """The boundary of a `multipart/form-data` type (400 if it has none)."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary", b"")
    if not 1 <= len(boundary) <= 70:
        raise BadRequest("multipart/form-data needs a boundary of 1 to 70 characters.",
                         slug="bad-multipart")
    return boundary


class FormUpload:
    """Feeds the request body to the parser one chunk at a time, keeping the file's bytes."""

    def __init__(self, stream: AsyncIterator[bytes], boundary: bytes) -> None:
        self._stream = stream.__aiter__()
        self._pending: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value, self._header_size, self._skipped = b"", b"", 0, 0
        self._in_file = self._finished = self._ended = False
        self.head: PartHead | None = None
        self._parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
            "on_part_end": self._part_end, "on_end": self._end,
        })

    async def file_head(self) -> PartHead:
        """Read on until the file part's headers are in (422 if the body has no file part)."""
        while self.head is None:
            if self._finished:
                raise Unprocessable("Send the file as a part with a filename (-F file=@name).")
            await self._feed()
        return self.head

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file part's bytes, as they arrive; 400 if the body ends before it is closed."""
        while True:
            if self._pending:
                block = b"".join(self._pending)
                self._pending.clear()
                yield block
            if self._finished:
                break
            await self._feed()
        if not self._ended:
            raise BadRequest("The multipart body ends before its closing boundary.",
                             slug="bad-multipart")

    async def _feed(self) -> None:
        try:
            chunk = await self._stream.__anext__()
        except StopAsyncIteration:
            self._finished = True
            return
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise BadRequest("The multipart body is not valid.", slug="bad-multipart") from exc

    def _part_begin(self) -> None:
        self._headers, self._header_size = {}, 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]
        self._count_header(end - start)

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, size: int) -> None:
        self._header_size += size
        if self._header_size > HEADER_LIMIT:
            raise BadRequest("A part's headers are too long.", slug="bad-multipart")

    def _header_end(self) -> None:
        self._headers[self._field.strip().lower()] = self._value.strip()
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" not in options:
            return
        if self.head is not None:
            raise Unprocessable("Send one file per upload.")
        self._in_file = True
        self.head = PartHead(name=_name(options[b"filename"]), content_type=_type(self._headers))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(data[start:end])
            return
        self._skipped += end - start
        if self._skipped > FIELD_LIMIT:
            raise PayloadTooLarge("The form's other fields are too large.")

    def _part_end(self) -> None:
        self._in_file = False

    def _end(self) -> None:
        self._ended = True


def _name(raw: bytes) -> str:
    """Browsers and curl send the file name as raw UTF-8 inside the quotes."""
    return naming.clean_name(raw.decode("utf-8", errors="replace"))


def _type(headers: dict[bytes, bytes]) -> str:
    declared = naming.media_type(headers.get(b"content-type", b"").decode("latin-1"))
    return declared or naming.DEFAULT_TYPE
