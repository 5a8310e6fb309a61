"""Helpers shared by the operations tests (retention, backup, metrics, restarts)."""

from __future__ import annotations

from typing import Any

from tongban_client import TongbanClient


async def all_messages(client: TongbanClient, conversation_id: int) -> list[dict[str, Any]]:
    """Every message of a conversation, oldest first, page by page."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await client.list_messages(conversation_id, after_seq=after, limit=200)
        found += page["items"]
        if not page["items"] or not page["has_more"]:
            return found
        after = page["items"][-1]["seq"]
