"""Reply shapes of the files routes (the request body is the file itself)."""

from __future__ import annotations

from pydantic import BaseModel


class FilePublic(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: str
