"""Client methods: Uploads (快传)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

from tongban_client.base import ApiBase

Json = dict[str, Any]


class FilesApi(ApiBase):
    """Uploads (快传)."""

    async def upload_file(
        self, data: bytes, filename: str, content_type: str = "application/octet-stream"
    ) -> Json:
        """Upload bytes; returns `{id, sha256, size, name, content_type, …}`.

        The name travels percent-encoded in `X-Filename`, so 会议纪要.docx arrives intact.
        """
        headers = {"Content-Type": content_type, "X-Filename": quote(filename, safe="")}
        reply = await self.request("POST", "/v1/files", content=data, headers=headers)
        return cast(Json, reply)

    async def download_file(self, file_id: int | str) -> bytes:
        """The file's bytes (404 unless you uploaded it or may see a record that references it)."""
        return await self.request_bytes("GET", f"/v1/files/{file_id}")
