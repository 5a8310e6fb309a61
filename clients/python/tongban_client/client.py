"""The async HTTP client: sessions (login, refresh, logout), devices, the org, the event feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, cast

import httpx

from tongban_client.approvals import ApprovalsApi
from tongban_client.documents import DocumentsApi
from tongban_client.errors import ApiError, FeedReset, SessionEnded
from tongban_client.files import FilesApi
from tongban_client.issued import IssuedApi
from tongban_client.keys import DeviceKey
from tongban_client.messaging import MessagingApi
from tongban_client.notices import NoticesApi
from tongban_client.push import PushApi
from tongban_client.stream import Backoff, EventStream, ResetCallback
from tongban_client.supervision import SupervisionApi

Id = int | str
Json = dict[str, Any]
LOGIN_PATH = "/v1/auth/login"
REFRESH_PATH = "/v1/auth/refresh"
# Requests that neither carry the access token nor trigger a refresh when refused.
UNAUTHENTICATED_PATHS = (LOGIN_PATH, REFRESH_PATH)


class TongbanClient(
    FilesApi, MessagingApi, ApprovalsApi, DocumentsApi, NoticesApi, SupervisionApi, IssuedApi,
    PushApi,
):
    """One signed-in person on one device, talking to one Tongban server."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        origin: str | None = None,
        timeout: float = 10,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin
        self.timeout = timeout
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.user: dict[str, Any] | None = None
        self.device_id: Id | None = None
        headers = {"Origin": origin} if origin else {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url, transport=transport, timeout=timeout, headers=headers
        )
        self._refresh_lock = asyncio.Lock()

    async def __aenter__(self) -> TongbanClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def ws_url(self) -> str:
        url = httpx.URL(self.base_url)
        scheme = {"http": "ws", "https": "wss"}.get(url.scheme, url.scheme)
        return str(url.copy_with(scheme=scheme, path=url.path.rstrip("/") + "/v1/ws"))

    # -- requests ---------------------------------------------------------------------------

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
        """Send a request with the access token; on a 401 refresh once and retry once.

        Returns the decoded JSON (bytes for other bodies, None for an empty one); raises ApiError
        on any non-2xx reply and SessionEnded when the tokens can no longer be refreshed.
        """
        request = self._http.build_request(
            method, path, json=json, params=params, headers=headers, content=content
        )
        sent_token = self._authorize(request)
        response = await self._http.send(request)
        if response.status_code == 401 and self._may_refresh(request):
            await self.refresh_if_stale(sent_token)
            self._authorize(request)
            response = await self._http.send(request)
        return _decode(response)

    async def request_bytes(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> bytes:
        """Like `request`, but the reply body is returned as bytes, never decoded (downloads)."""
        request = self._http.build_request(method, path, params=params)
        sent_token = self._authorize(request)
        response = await self._http.send(request)
        if response.status_code == 401 and self._may_refresh(request):
            await self.refresh_if_stale(sent_token)
            self._authorize(request)
            response = await self._http.send(request)
        if not response.is_success:
            raise ApiError.from_response(response)
        return response.content

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, json: Any = None, *, headers: Mapping[str, str] | None = None
    ) -> Any:
        return await self.request("POST", path, json=json, headers=headers)

    async def patch(
        self, path: str, json: Any = None, *, headers: Mapping[str, str] | None = None
    ) -> Any:
        return await self.request("PATCH", path, json=json, headers=headers)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)

    async def paginate(
        self, path: str, *, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a cursor-paginated list, following `next_cursor` page by page."""
        query = dict(params or {})
        while True:
            page = await self.get(path, params=query)
            for item in page["items"]:
                yield item
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def _authorize(self, request: httpx.Request) -> str | None:
        token = self.access_token
        if token and not _is_unauthenticated(request):
            request.headers["Authorization"] = f"Bearer {token}"
        return token

    def _may_refresh(self, request: httpx.Request) -> bool:
        return self.refresh_token is not None and not _is_unauthenticated(request)

    async def _object(
        self, method: str, path: str, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Json:
        """A request whose reply is a JSON object (every operation below but a few)."""
        return cast(Json, await self.request(method, path, json=json, params=params))

    # -- session ----------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> Json:
        body = {"username": username, "password": password}
        reply = await self._object("POST", LOGIN_PATH, body)
        self._keep_session(reply)
        return reply

    async def refresh(self) -> Json:
        """Exchange the refresh token for a new pair; SessionEnded if the server refuses it."""
        async with self._refresh_lock:
            return await self._rotate_tokens()

    async def refresh_if_stale(self, stale_token: str | None) -> None:
        """Refresh unless another task already replaced `stale_token` while we waited.

        Refresh tokens rotate, so two concurrent refreshes with the same token would end the
        session: whoever comes second must reuse the first one's result instead.
        """
        async with self._refresh_lock:
            if self.access_token == stale_token:
                await self._rotate_tokens()

    async def logout(self) -> None:
        """End this session on the server (its websockets close too) and forget the tokens."""
        try:
            await self.post("/v1/auth/logout")
        except SessionEnded:
            pass  # already over: that is what we wanted
        finally:
            self._forget_session()

    async def me(self) -> Json:
        return await self._object("GET", "/v1/me")

    async def _rotate_tokens(self) -> Json:
        if self.refresh_token is None:
            raise SessionEnded("no refresh token: log in first")
        try:
            reply = await self._object("POST", REFRESH_PATH, {"refresh_token": self.refresh_token})
        except ApiError as error:
            if error.status != 401:
                raise
            self._forget_session()
            raise SessionEnded("the refresh token was refused") from error
        self._keep_session(reply)
        return reply

    def _keep_session(self, reply: Json) -> None:
        self.access_token = reply["access_token"]
        self.refresh_token = reply["refresh_token"]
        if "user" in reply:
            self.user = reply["user"]

    def _forget_session(self) -> None:
        self.access_token = None
        self.refresh_token = None

    # -- devices ----------------------------------------------------------------------------

    async def register_device(self, name: str, platform: str, key: DeviceKey) -> Json:
        """Register this device's public key; later decisions are signed with `key`."""
        body = {"name": name, "platform": platform, "public_jwk": key.public_jwk()}
        reply = await self._object("POST", "/v1/devices", body)
        self.device_id = reply["id"]
        return reply

    async def list_devices(self) -> list[Json]:
        reply = await self._object("GET", "/v1/devices")
        return cast(list[Json], reply["items"])

    async def revoke_device(self, device_id: Id) -> None:
        await self.delete(f"/v1/devices/{device_id}")

    # -- org (组织) ---------------------------------------------------------------------------

    async def get_unit(self, unit_id: Id) -> Json:
        return await self._object("GET", f"/v1/org/units/{unit_id}")

    async def get_person(self, person_id: Id) -> Json:
        """A person's name and positions (anyone signed in may look)."""
        return await self._object("GET", f"/v1/org/people/{person_id}")

    async def unit_people(
        self,
        unit_id: Id,
        include_subunits: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Json:
        params = _present(include_subunits=include_subunits, limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/org/units/{unit_id}/people", params=params)

    async def search_people(
        self, q: str, limit: int | None = None, cursor: str | None = None
    ) -> Json:
        params = _present(q=q, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/org/people", params=params)

    async def create_unit(self, name: str, parent_id: Id | None, level: str | int) -> Json:
        body = {"name": name, "parent_id": parent_id, "level": level}
        return await self._object("POST", "/v1/org/units", body)

    async def create_person(
        self,
        username: str,
        display_name: str,
        password: str,
        unit_id: Id,
        position: str | None = None,
        roles: list[str] | None = None,
    ) -> Json:
        body: Json = {"username": username, "display_name": display_name, "password": password}
        body |= {"unit_id": unit_id, **_present(position=position, roles=roles)}
        return await self._object("POST", "/v1/org/people", body)

    async def unit_routing(self, unit_id: Id) -> Json:
        """Who serves a unit: its document desk (办公室/办公厅) and the clerks who work it, its
        leaders by position, and the units it serves as desk."""
        return await self._object("GET", f"/v1/org/units/{unit_id}/routing")

    async def set_unit_desk(self, unit_id: Id, desk_unit_id: Id | None) -> Json:
        """Admins: name the unit's document desk (a unit under it at its level), or none."""
        return await self._object("PUT", f"/v1/org/units/{unit_id}/desk",
                                  {"desk_unit_id": desk_unit_id})

    async def create_group(self, name: str, member_ids: list[Id]) -> Json:
        body = {"name": name, "member_ids": member_ids}
        return await self._object("POST", "/v1/org/groups", body)

    async def revoke_sessions(self, person_id: Id) -> Any:
        """Admin: end every session of a person at once (their websockets close with 4410)."""
        return await self.post(f"/v1/org/people/{person_id}/revoke-sessions")

    # -- health and events ------------------------------------------------------------------

    async def health(self) -> Json:
        return await self._object("GET", "/v1/health")

    async def fetch_events(self, after: int = 0, limit: int = 100) -> Json:
        """One page of the event feed over HTTP: `{events: [...], last_event_id}`.

        Raises `FeedReset` when the feed no longer goes back to `after` (HTTP 410 `feed-reset`).
        """
        try:
            return await self._object("GET", "/v1/events", params={"after": after, "limit": limit})
        except ApiError as error:
            if error.status == 410 and error.type.endswith("/feed-reset"):
                raise FeedReset.from_payload(error.body) from error
            raise

    def events(
        self,
        after: int = 0,
        *,
        ping_interval: float = 20,
        backoff: Backoff | None = None,
        on_reset: ResetCallback | None = None,
    ) -> EventStream:
        """Follow the event feed over the websocket, reconnecting and resuming by itself.

        `on_reset(FeedReset)` (sync or async) is called when the feed no longer goes back to the
        resume point: refetch your state there. Without it, iterating raises `FeedReset`.
        """
        return EventStream(self, after, ping_interval=ping_interval, backoff=backoff,
                           on_reset=on_reset)


def _is_unauthenticated(request: httpx.Request) -> bool:
    return request.url.path.endswith(UNAUTHENTICATED_PATHS)


def _present(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _decode(response: httpx.Response) -> Any:
    if not response.is_success:
        raise ApiError.from_response(response)
    if response.status_code == 204 or not response.content:
        return None
    if "json" in response.headers.get("content-type", ""):
        return response.json()
    return response.content
