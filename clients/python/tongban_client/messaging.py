"""Client methods: Conversations and messages (会话与消息)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tongban_client.base import ApiBase

Id = int | str
Json = dict[str, Any]


def _present(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


class MessagingApi(ApiBase):
    """Conversations and messages: one method per operation."""

    # -- conversations ----------------------------------------------------------------------

    async def create_group_chat(self, title: str, member_ids: list[Id]) -> Json:
        """A group chat (群聊) that I own (`create_group` makes a directory group, not a chat)."""
        body = {"kind": "group", "title": title, "member_ids": member_ids}
        return await self._object("POST", "/v1/conversations", body)

    async def open_direct(self, person_id: Id) -> Json:
        """The one direct conversation (单聊) with a person, made on first use."""
        body = {"kind": "direct", "member_ids": [person_id]}
        return await self._object("POST", "/v1/conversations", body)

    async def open_unit_group(self, unit_id: Id) -> Json:
        """The unit group (单位群) of one of my units, made on first use."""
        return await self._object("POST", "/v1/conversations", {"kind": "unit", "unit_id": unit_id})

    async def list_conversations(self, limit: int | None = None, cursor: str | None = None) -> Json:
        """`{items: [...with unread_count and last_message], next_cursor}`, newest first."""
        params = _present(limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/conversations", params=params)

    async def get_conversation(self, conversation_id: Id) -> Json:
        return await self._object("GET", f"/v1/conversations/{conversation_id}")

    async def rename_conversation(self, conversation_id: Id, title: str) -> Json:
        return await self._object("PATCH", f"/v1/conversations/{conversation_id}", {"title": title})

    async def list_members(
        self, conversation_id: Id, limit: int | None = None, cursor: str | None = None
    ) -> Json:
        params = _present(limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/conversations/{conversation_id}/members",
                                  params=params)

    async def add_members(self, conversation_id: Id, member_ids: list[Id]) -> Json:
        path = f"/v1/conversations/{conversation_id}/members"
        return await self._object("POST", path, {"member_ids": member_ids})

    async def remove_member(self, conversation_id: Id, person_id: Id) -> None:
        await self.request("DELETE", f"/v1/conversations/{conversation_id}/members/{person_id}")

    async def leave_conversation(self, conversation_id: Id) -> None:
        await self.request("POST", f"/v1/conversations/{conversation_id}/leave")

    async def transfer_owner(self, conversation_id: Id, owner_id: Id) -> Json:
        path = f"/v1/conversations/{conversation_id}/transfer"
        return await self._object("POST", path, {"owner_id": owner_id})

    async def set_member_role(self, conversation_id: Id, person_id: Id, role: str) -> Json:
        """`role` is "admin" or "member" (owner only)."""
        path = f"/v1/conversations/{conversation_id}/roles"
        return await self._object("POST", path, {"person_id": person_id, "role": role})

    async def dissolve_conversation(self, conversation_id: Id) -> Json:
        return await self._object("POST", f"/v1/conversations/{conversation_id}/dissolve")

    async def mute_conversation(self, conversation_id: Id, muted: bool = True) -> Json:
        path = f"/v1/conversations/{conversation_id}/mute"
        return await self._object("POST", path, {"muted": muted})

    # -- messages ---------------------------------------------------------------------------

    async def send_message(
        self,
        conversation_id: Id,
        body: str = "",
        *,
        client_msg_id: str | None = None,
        mentions: list[Id | str] | None = None,
        reply_to: Id | None = None,
        file_ids: list[Id] | None = None,
    ) -> Json:
        """Send; retry with the same `client_msg_id` (made here if not given) to stay idempotent.

        `mentions` holds person ids or "all" (@所有人, owners and admins).
        """
        payload: Json = {"client_msg_id": client_msg_id or uuid.uuid4().hex, "body": body}
        payload |= _present(mentions=mentions, reply_to=reply_to, file_ids=file_ids)
        return await self._object("POST", f"/v1/conversations/{conversation_id}/messages", payload)

    async def list_messages(
        self,
        conversation_id: Id,
        *,
        before_seq: int | None = None,
        after_seq: int | None = None,
        limit: int | None = None,
    ) -> Json:
        """`{items (seq ascending), has_more, last_seq, read_seq}`."""
        params = _present(before_seq=before_seq, after_seq=after_seq, limit=limit)
        return await self._object("GET", f"/v1/conversations/{conversation_id}/messages",
                                  params=params)

    async def get_message(self, message_id: Id) -> Json:
        return await self._object("GET", f"/v1/messages/{message_id}")

    async def mark_read(self, conversation_id: Id, up_to_seq: int) -> Json:
        """Mark read (已读) up to a seq: `{read_seq, unread_count}`."""
        path = f"/v1/conversations/{conversation_id}/read"
        return await self._object("POST", path, {"up_to_seq": up_to_seq})

    async def message_receipts(self, message_id: Id) -> Json:
        """`{read: [person…], unread: [person…], read_count, unread_count}`."""
        return await self._object("GET", f"/v1/messages/{message_id}/receipts")

    async def recall_message(self, message_id: Id) -> Json:
        """Recall (撤回): the sender within the window, owners and admins any time."""
        return await self._object("POST", f"/v1/messages/{message_id}/recall")

    async def urge_message(self, message_id: Id) -> Json:
        """Re-alert (加急) those who have not read it; 429 with Retry-After if too soon."""
        return await self._object("POST", f"/v1/messages/{message_id}/urge")

    async def search_messages(
        self, q: str, limit: int | None = None, cursor: str | None = None
    ) -> Json:
        """Messages of my conversations containing `q` (Chinese substrings), newest first."""
        params = _present(q=q, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/messages/search", params=params)

    # -- quiet hours ------------------------------------------------------------------------

    async def get_quiet_hours(self) -> Json:
        """`{enabled, start, end, timezone, active}` — `active`: in quiet hours right now."""
        return await self._object("GET", "/v1/me/quiet-hours")

    async def set_quiet_hours(
        self, start: str, end: str, *, enabled: bool = True, timezone: str = "Asia/Shanghai"
    ) -> Json:
        body = {"start": start, "end": end, "enabled": enabled, "timezone": timezone}
        return await self._object("PUT", "/v1/me/quiet-hours", body)


def in_quiet_hours(quiet: Mapping[str, Any], at: datetime | None = None) -> bool:
    """Whether `at` (default now) falls in the quiet hours `get_quiet_hours()` returned."""
    if not quiet.get("enabled") or not quiet.get("start") or not quiet.get("end"):
        return False
    start, end = time.fromisoformat(quiet["start"]), time.fromisoformat(quiet["end"])
    local = (at or datetime.now(UTC)).astimezone(ZoneInfo(quiet["timezone"])).time()
    local = local.replace(tzinfo=None)
    if start == end:
        return False
    return start <= local < end if start < end else (local >= start or local < end)


def message_alert(
    event: Mapping[str, Any], *, me: Id, quiet: Mapping[str, Any], muted: bool,
    at: datetime | None = None,
) -> bool:
    """Should this event ring my phone? The server sends one copy of a message to every member,
    so each phone decides: urges always ring; my own messages never; otherwise a message rings
    unless I am in quiet hours, or I muted the conversation and was not mentioned."""
    data = event.get("data", {})
    if event.get("kind") == "message.urged":
        return bool(data.get("alert", True))
    if event.get("kind") != "message.created" or str(data.get("sender_id")) == str(me):
        return False
    if in_quiet_hours(quiet, at):
        return False
    mentioned = data.get("mention_all") or int(me) in data.get("mentions", [])
    return bool(mentioned or not muted)
