"""Reading messages: a conversation's history by seq, and search over my conversations.

Search finds Chinese substrings (会议 in 明天上午开会议). Trigram indexes only help from three
characters on, so shorter queries fall back to a plain LIKE limited to my conversations (their
`(conversation_id, seq)` index bounds the scan): SQLite searches its FTS5 trigram table with a
quoted phrase; PostgreSQL uses LIKE, which its pg_trgm GIN index serves. Either way the
candidates are restricted to the conversations I belong to in the same statement, so nothing
from anyone else's conversation can come back.
"""

from __future__ import annotations

from typing import Any

from core.db import dialect
from core.http import decode_cursor, encode_cursor
from core.rawsql import fetch
from directory.auth import Actor
from messaging.membership import Seat, conversation_ids_of
from messaging.models import Message
from messaging.queries import messages_public


async def list_history(seat: Seat, *, before_seq: int | None, after_seq: int | None,
                       limit: int) -> dict[str, Any]:
    """Messages in seq order: after `after_seq` going forward, else before `before_seq` (or
    the newest) going back. `has_more` says whether the walk can continue that way."""
    query = Message.filter(conversation_id=seat.id)
    if after_seq is not None:
        rows = await query.filter(seq__gt=after_seq).order_by("seq").limit(limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
    else:
        if before_seq is not None:
            query = query.filter(seq__lt=before_seq)
        rows = await query.order_by("-seq").limit(limit + 1)
        more, rows = len(rows) > limit, list(reversed(rows[:limit]))
    return {"items": await messages_public(rows), "has_more": more,
            "last_seq": seat.conversation.last_seq, "read_seq": seat.read_seq}


SQLITE_PHRASE = (
    "SELECT m.id FROM msg_message_fts f JOIN msg_message m ON m.id = f.rowid "
    "WHERE msg_message_fts MATCH {} AND m.conversation_id IN ({}) AND m.id < {} "
    "AND m.recalled_at IS NULL ORDER BY m.id DESC LIMIT {}"
)
LIKE = (
    "SELECT m.id FROM msg_message m WHERE m.body {like} {} ESCAPE '\\' "
    "AND m.conversation_id IN ({}) AND m.id < {} AND m.recalled_at IS NULL "
    "ORDER BY m.id DESC LIMIT {}"
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _statement(text: str, conversations: list[int]) -> tuple[str, list[Any]]:
    marks = ", ".join("{}" for _ in conversations)
    if dialect() == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        return SQLITE_PHRASE.replace("({})", f"({marks})"), [phrase, *conversations]
    like = "ILIKE" if dialect() == "postgres" else "LIKE"  # SQLite's LIKE ignores ASCII case
    sql = LIKE.replace("{like}", like).replace("({})", f"({marks})")
    return sql, [_like_pattern(text), *conversations]


async def search_messages(actor: Actor, *, q: str, limit: int,
                          cursor: str | None) -> dict[str, Any]:
    """My conversations' messages containing `q`, newest first, cursor-paginated."""
    conversations = await conversation_ids_of(actor.id)
    if not conversations:
        return {"items": [], "next_cursor": None}
    before = decode_cursor(cursor) or 2**62
    sql, values = _statement(q, conversations)
    found = await fetch(sql, [*values, before, limit + 1])
    ids = [int(row["id"]) for row in found]
    rows = {m.id: m for m in await Message.filter(id__in=ids[:limit])}
    items = await messages_public([rows[i] for i in ids[:limit] if i in rows])
    return {"items": items,
            "next_cursor": encode_cursor(ids[limit - 1]) if len(ids) > limit else None}
