"""What every group of client methods builds on: the one request method of the client."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

Json = dict[str, Any]


class ApiBase(ABC):
    """Feature mixins (`MessagingApi`, …) call these; `TongbanClient` implements them."""

    @abstractmethod
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
        """The decoded JSON reply of an authenticated request (refreshing once on 401)."""

    @abstractmethod
    async def request_bytes(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> bytes:
        """The raw reply body, whatever its content type (for downloads)."""

    @abstractmethod
    async def _object(
        self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Json:
        """A request whose reply is a JSON object."""
