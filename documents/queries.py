"""Who may see a document, and who may act on it.

A document is visible to (everyone else gets 404, for the document, its versions and files):
- the desk of the unit it belongs to (the drafting unit for an outgoing document, the receiving
  unit for an incoming record): its clerks (收发文员, role `clerk`) and the clerks of the desk
  it names (a government's 办公室/办公厅: rule R2 of `directory.routing`);
- the people listed in `DocumentAccess`: its drafter and named 签发人, the people of its sign-off
  and 批办 chains (resolved when the chain starts), people it was distributed to in person, the
  handlers of its 承办 and the readers of its 传阅 once their turn has come;
- anyone who holds or held a seat on one of its chains (a delegate, 转交 or 外出委托), asked of
  the approval engine.
Units' leaders see what reaches them through chains and 传阅, not by rank: a county office's
drafts are not the business of everyone who leads it.
"""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import Q

from approvals.models import Assignment
from core.errors import Forbidden, NotFound
from directory import desks
from directory.auth import Actor
from directory.models import Position
from directory.policy import Role
from documents.models import Document, DocumentAccess, NumberSeries


async def roles_in(person_id: int, unit_id: int) -> set[str]:
    """The roles a person holds in exactly this unit."""
    rows = await Position.filter(person_id=person_id, unit_id=unit_id).values_list(
        "roles", flat=True)
    return {role for roles in rows for role in (roles or [])}  # type: ignore[union-attr]


async def is_clerk(person_id: int, unit_id: int) -> bool:
    """Whether the person works the unit's document desk (its clerks or its desk's)."""
    return await desks.works_desk(person_id, unit_id)


async def sat_on_chain(person_id: int, document_id: int) -> bool:
    return await Assignment.filter(
        Q(person_id=person_id) | Q(on_behalf_of_id=person_id),
        chain__subject_type="document", chain__subject_id=str(document_id),
    ).exists()


async def may_see(person_id: int, document: Document) -> bool:
    """The rules of the module docstring."""
    if await DocumentAccess.exists(document_id=document.id, person_id=person_id):
        return True
    if await is_clerk(person_id, document.unit_id):
        return True
    return await sat_on_chain(person_id, document.id)


async def access_document(actor: Actor, document_id: int) -> Document:
    """The document if the actor may see it; NotFound when it is missing or not theirs."""
    document = await Document.get_or_none(id=document_id)
    if document is None or not await may_see(actor.id, document):
        raise NotFound("No such document.")
    return document


async def require_clerk(actor: Actor, document: Document, what: str) -> None:
    """403 unless the actor works the document desk of the document's unit."""
    if not await is_clerk(actor.id, document.unit_id):
        raise Forbidden(f"Only the document desk (收发文员) of the unit may {what}.",
                        slug="not-a-clerk")


async def require_drafter_or_clerk(actor: Actor, document: Document, what: str) -> None:
    if document.drafter_id == actor.id:
        return
    if not await is_clerk(actor.id, document.unit_id):
        raise Forbidden(f"Only the drafter or the unit's document desk may {what}.",
                        slug="not-drafter-or-clerk")


async def keeps_books(person_id: int, unit_id: int) -> bool:
    """A clerk, leader or unit admin of the unit, or a clerk of its desk: who may see its
    registers and series."""
    return bool(await roles_in(person_id, unit_id) & set(Role.ALL)) \
        or await is_clerk(person_id, unit_id)


async def access_series(actor: Actor, series_id: int) -> NumberSeries:
    """A series of a unit whose books the actor keeps (404 otherwise)."""
    series = await NumberSeries.get_or_none(id=series_id)
    if series is None or not await keeps_books(actor.id, series.unit_id):
        raise NotFound("No such number series.")
    return series


async def require_unit_desk(actor: Actor, unit_id: int) -> None:
    """404 unless the actor keeps the unit's books (its registers)."""
    if not await keeps_books(actor.id, unit_id):
        raise NotFound("No such unit register.")


async def grant(document_id: int, people: Iterable[int], reason: str) -> None:
    """Let these people read the document (in the caller's transaction)."""
    rows = [DocumentAccess(document_id=document_id, person_id=pid, reason=reason)
            for pid in dict.fromkeys(people)]
    if rows:
        await DocumentAccess.bulk_create(rows, ignore_conflicts=True)
