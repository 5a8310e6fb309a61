"""What every group of client methods builds on: the one request method of the client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]


class ApiBase:
    """Feature mixins (`MessagingApi`, …) call these; `TongbanClient` implements them."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
    ) -> Any:
        raise NotImplementedError

    async def request_bytes(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> bytes:
        """The raw reply body, whatever its content type (for downloads)."""
        raise NotImplementedError

    async def _object(
        self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Json:
        raise NotImplementedError
