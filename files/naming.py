"""Pure rules for the names and media types that come with an upload (no database)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote

DEFAULT_NAME = "file"
DEFAULT_TYPE = "application/octet-stream"
MAX_NAME = 255
# type "/" subtype, RFC 6838 restricted names; parameters (charset=…) are kept as sent.
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}$")


def filename_from_header(raw: str | None) -> str | None:
    """The name from `X-Filename`: percent-encoded UTF-8 (会议纪要.docx as %E4%BC%9A…) or plain.

    Starlette decodes header bytes as Latin-1, so raw UTF-8 sent without encoding is recovered
    too. Returns None when the header is missing; raises ValueError when it is not UTF-8.
    """
    if raw is None:
        return None
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        text = raw
    return clean_name(unquote(text, errors="strict"))


def clean_name(name: str) -> str:
    """A safe display name: no directories, no control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[:MAX_NAME] or DEFAULT_NAME


def media_type(raw: str | None) -> str | None:
    """The declared media type (lower-cased, parameters kept), None if it is not one."""
    if not raw or not raw.strip():
        return DEFAULT_TYPE
    main, _, params = raw.strip().partition(";")
    if not MEDIA_TYPE.match(main.strip()) or len(raw) > 127:
        return None
    return main.strip().lower() + (f";{params.strip()}" if params.strip() else "")


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266 with an ASCII fallback and the exact name as RFC 5987 `filename*`."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
