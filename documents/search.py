"""My documents, newest first, and search over their titles, numbers and body text.

Search finds Chinese substrings (防汛 in 关于做好防汛工作的通知). SQLite: queries of three
characters or more go to the FTS5 trigram index as a quoted phrase; shorter ones fall back to
LIKE over the text table. PostgreSQL: ILIKE over the same text expression that the pg_trgm GIN
index covers. Either way the statement itself keeps only documents the person may see (their
unit desks' documents and those `DocumentAccess` names them on), so nothing else can come back.
People who reach a document only through a chain seat they were delegated see it in their
approvals inbox, not here.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery

from core.db import dialect
from core.http import encode_cursor
from core.rawsql import fetch
from directory.auth import Actor
from directory.desks import worked_desks
from documents.models import Document, DocumentAccess
from documents.paging import MAX_ID, cursor_id, id_page
from documents.schemas import DocumentQuery
from documents.shapes import summaries

# FTS walks the index newest first (`ORDER BY f.rowid DESC` is served by FTS5 itself, so it
# stops at the limit) and tests each hit's visibility. LIKE scans the text newest first: a desk's
# documents and those naming the person, or, for someone without a desk, only the documents
# naming them (walked down their `doc_access` index, so a reader of a few hundred documents
# never scans anyone else's text).
TEXT = "(t.title || ' ' || t.number || ' ' || t.body)"
FTS = ("SELECT f.rowid AS id FROM doc_text_fts f JOIN doc_text t ON t.id = f.rowid "
       "WHERE doc_text_fts MATCH {} AND f.rowid < {} AND ({desks} EXISTS (SELECT 1 FROM "
       "doc_access a WHERE a.document_id = t.id AND a.person_id = {person})){filters} "
       "ORDER BY f.rowid DESC LIMIT {}")
LIKE = ("SELECT t.id FROM doc_text t WHERE " + TEXT + " {like} {} ESCAPE '\\' AND t.id < {} "
        "AND ({desks} t.id IN (SELECT a.document_id FROM doc_access a WHERE a.person_id = "
        "{person})){filters} ORDER BY t.id DESC LIMIT {}")
NAMED_LIKE = ("SELECT DISTINCT a.document_id AS id FROM doc_access a "
              "JOIN doc_text t ON t.id = a.document_id WHERE a.person_id = {person} "
              "AND a.document_id < {} AND " + TEXT + " {like} {} ESCAPE '\\'{filters} "
              "ORDER BY a.document_id DESC LIMIT {}")


async def visible(actor: Actor) -> Q:
    desks = await worked_desks(actor.id)
    named = Subquery(DocumentAccess.filter(person_id=actor.id).values("document_id"))
    return Q(unit_id__in=desks) | Q(id__in=named) if desks else Q(id__in=named)


async def list_documents(actor: Actor, query: DocumentQuery) -> dict[str, Any]:
    """The documents the actor may see, newest first, filtered; with `q`, those matching."""
    if query.q:
        return await search_documents(actor, query)
    rows = Document.filter(await visible(actor))
    return await id_page(_filtered(rows, query), limit=query.limit, cursor=query.cursor,
                         newest_first=True, shape=summaries)


def _filtered(rows: Any, query: DocumentQuery) -> Any:
    if query.direction:
        rows = rows.filter(direction=query.direction)
    if query.state:
        rows = rows.filter(state=query.state)
    return rows


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def statement(q: str, *, desks: list[int], person_id: int, before: int,
              filters: tuple[str, list[Any]], limit: int) -> tuple[str, list[Any]]:
    """The matching statement for this engine, query length and person, with its values.

    The person's and their desks' ids are written into the statement as numbers (ids of our
    own, never input): PostgreSQL then plans with that person's row counts, where a generic
    plan of a cached statement would scan every document's text for a reader of a few."""
    where, extra = filters
    own = f"t.unit_id IN ({', '.join(str(int(u)) for u in desks)}) OR" if desks else ""
    if dialect() == "sqlite" and len(q) >= 3:
        template, values = FTS, ['"' + q.replace('"', '""') + '"', before]
    elif desks:
        template, values = LIKE, [like_pattern(q), before]
    else:
        template, values = NAMED_LIKE, [before, like_pattern(q)]
    like = "ILIKE" if dialect() == "postgres" else "LIKE"  # SQLite's LIKE ignores ASCII case
    sql = template.replace("{like}", like).replace("{desks}", own).replace(
        "{person}", str(int(person_id))).replace("{filters}", where)
    return sql, [*values, *extra, limit]


async def search_documents(actor: Actor, query: DocumentQuery) -> dict[str, Any]:
    """Documents the actor may see whose title, numbers or text contain `q`, newest first."""
    before = cursor_id(query.cursor)
    sql, values = statement(query.q, desks=await worked_desks(actor.id),
                            person_id=actor.id, before=MAX_ID if before is None else before,
                            filters=_sql_filters(query), limit=query.limit + 1)
    ids = [int(row["id"]) for row in await fetch(sql, values)]
    rows = {d.id: d for d in await Document.filter(id__in=ids[:query.limit])}
    items = await summaries([rows[i] for i in ids[:query.limit] if i in rows])
    more = len(ids) > query.limit
    return {"items": items, "next_cursor": encode_cursor(ids[query.limit - 1]) if more else None}


def _sql_filters(query: DocumentQuery) -> tuple[str, list[Any]]:
    parts, values = [], []
    for name in ("direction", "state"):
        value = getattr(query, name)
        if value:
            parts.append(f" AND EXISTS (SELECT 1 FROM doc_document d WHERE d.id = t.id "
                         f"AND d.{name} = {{}})")  # a column name of our own, never input
            values.append(value)
    return "".join(parts), values
