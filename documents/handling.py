"""承办 → 办结 → 答复: handling an instructed incoming record.

承办 opens a supervision task (督办) with the lead (主办) and assisting (协办) units and people and
the deadline, its source the document, in the same transaction. The handling goes where the
批示 points: to units and people in the receiving unit's subtree — its departments and
subordinate governments — and, when the receiving unit is a government's desk, in the
government's subtree (`directory.routing` R4). The task is assigned in the name of the person
assigning it when they lead (or administer) the receiving unit, otherwise in the name of the
leader who gave the 批办 instruction: that leader then supervises it, as an instruction followed
up (督办) should be.

办结 closes that task in the same transaction (`supervision.sources`): it counts as done, on
time or late by the 办结. Only when the handler says the work goes on (`continues`) does the
task stay open, marked continuing, and the statistics show it open.
"""

from __future__ import annotations

from core.clock import utcnow
from core.errors import Conflict, Forbidden
from core.tx import atomic
from directory.auth import Actor
from directory.desks import handling_paths, instructs
from directory.models import Person, Position, Unit
from directory.policy import Role
from directory.routing import within
from documents.events import desk, notify, owners
from documents.models import Delivery, Document, DocumentFile
from documents.policy import Direction, State, Urgency, conflict, refuse
from documents.queries import grant, is_clerk, roles_in
from documents.receiving import sender, update_delivery
from documents.schemas import AssignIn
from documents.transitions import move_state
from files.queries import claim_files
from supervision.actions import do_create_task
from supervision.models import Task
from supervision.parties import unit_handlers
from supervision.schemas import TaskCreate
from supervision.sources import do_finish_source

RECORD = "document"
PRIORITY = {Urgency.NORMAL: "normal", Urgency.URGENT: "high", Urgency.CRITICAL: "urgent"}
OVERSIGHT = frozenset({Role.LEADER, Role.UNIT_ADMIN})


def incoming_in(document: Document, states: tuple[State, ...], what: str) -> None:
    if document.direction != Direction.INCOMING or document.state not in states:
        raise conflict(document.state, what)


async def check_parties(document: Document, body: AssignIn) -> tuple[list[int], list[int]]:
    """Units and people of the handling, all within the reach of the receiving unit (R4):
    (units, people), the lead first."""
    lead_units = [body.lead.id] if body.lead.type == "unit" else []
    lead_people = [body.lead.id] if body.lead.type == "person" else []
    units = list(dict.fromkeys([*lead_units, *body.assisting_units]))
    people = list(dict.fromkeys([*lead_people, *body.assisting_people]))
    if len(units) + len(people) != 1 + len(body.assisting_units) + len(body.assisting_people):
        raise refuse("lead", "A party is named twice (lead and assisting).", "duplicate_party")
    scope = await handling_paths(document.unit_id)
    found = await Unit.filter(id__in=units).values_list("id", "path")
    if len(found) != len(units) or not all(within(str(p), scope) for _, p in found):
        raise refuse("assisting_units", "Handling units must be the receiving unit, its "
                                        "departments or its subordinate governments.",
                     "unit_outside")
    for person in people:
        paths = await Position.filter(person_id=person, person__active=True).values_list(
            "unit__path", flat=True)
        if not any(within(str(p), scope) for p in paths):
            raise refuse("assisting_people", f"Person {person} does not work in the "
                                              "receiving unit.", "person_outside")
    return units, people


async def supervisor(actor: Actor, document: Document, delivery: Delivery) -> Actor:
    """Whose name the supervision task goes out in (see the module docstring)."""
    if await roles_in(actor.id, document.unit_id) & OVERSIGHT \
            or await instructs(actor.id, document.unit_id):
        return actor
    leader = await Person.get(id=delivery.instructed_by_id)
    return Actor(leader, actor.session_id, actor.device_id, actor.token_expires)


def task_draft(document: Document, delivery: Delivery, body: AssignIn, units: list[int],
               people: list[int]) -> TaskCreate:
    note = "\n".join(filter(None, [delivery.instruction, body.note]))
    return TaskCreate.model_validate({
        "title": document.title, "description": note, "due_at": body.due_at,
        "assignees": {"units": units, "people": people},
        "lead": {"type": body.lead.type, "id": body.lead.id},
        "priority": PRIORITY[Urgency(document.urgency)],
        "source": {"type": "document", "id": str(document.id), "title": document.title},
    })


async def do_assign_handling(document: Document, *, actor: Actor, body: AssignIn) -> Document:
    """承办: the lead and assisting units and people handle the record by `due_at`; opens a
    supervision task. Who may: the desk or a leader of the receiving unit (R2, R3), after 批办.
    Handlers may read the record. Emits `document.assigned` to them (supervision emits
    `task.assigned`)."""
    incoming_in(document, (State.INSTRUCTED,), "assigned for handling")
    if not (await is_clerk(actor.id, document.unit_id)
            or await instructs(actor.id, document.unit_id)):
        raise Forbidden("Only the desk or a leader of the unit may assign the handling.",
                        slug="not-a-clerk")
    delivery = await Delivery.get(incoming_id=document.id)
    units, people = await check_parties(document, body)
    handlers = await unit_handlers(units)
    lead = handlers[body.lead.id] if body.lead.type == "unit" else [body.lead.id]
    everyone = list(dict.fromkeys([*lead, *(p for u in units for p in handlers[u]), *people]))
    draft = task_draft(document, delivery, body, units, people)
    in_charge = await supervisor(actor, document, delivery)
    async with atomic() as work:
        await move_state(document, (State.INSTRUCTED,), State.HANDLING)
        task = await do_create_task(None, actor=in_charge, draft=draft)
        handling = {"lead": body.lead.model_dump(), "assisting_units": body.assisting_units,
                    "assisting_people": body.assisting_people, "lead_people": lead,
                    "handlers": everyone, "note": body.note}
        await update_delivery(document, handling=handling, handling_due=body.due_at,
                              task_id=task.id)
        await grant(document.id, everyone, "handler")
        work.audit("document.assign", RECORD, document.id, task_id=task.id,
                   lead=body.lead.model_dump(), units=units, people=people,
                   due_at=body.due_at)
        notify(work, "assigned", document, everyone, by=actor.id, task_id=task.id,
               due_at=body.due_at, lead=body.lead.model_dump())
    return document


async def do_complete_handling(document: Document, *, actor: Actor, result: str,
                               continues: bool = False) -> Document:
    """办结: the handling is finished, with its result; the 督办 task it opened closes with it
    (or, when `continues`, stays open, marked continuing). Who may: a lead handler or the desk.
    Emits `document.completed` to the desk and the instructing leader (supervision emits
    `task.closed` or `task.continued`)."""
    incoming_in(document, (State.HANDLING,), "completed")
    delivery = await Delivery.get(incoming_id=document.id)
    leads = list((delivery.handling or {}).get("lead_people") or [])  # type: ignore[call-overload]
    if actor.id not in leads and not await is_clerk(actor.id, document.unit_id):
        raise Forbidden("Only the lead handlers or the desk may complete the handling.",
                        slug="not-a-handler")
    async with atomic() as work:
        await move_state(document, (State.HANDLING,), State.DONE)
        await update_delivery(document, result=result, completed_at=utcnow(),
                              completed_by_id=actor.id)
        task = await Task.get_or_none(id=delivery.task_id) if delivery.task_id else None
        if task is not None:
            await do_finish_source(task, actor=actor, report=result, continues=continues)
        work.audit("document.complete", RECORD, document.id, result=result,
                   task_id=delivery.task_id, continues=continues)
        leader = [delivery.instructed_by_id] if delivery.instructed_by_id else []
        notify(work, "completed", document, [*await desk(document.unit_id), *leader],
               by=actor.id, result=result, task_id=delivery.task_id, continues=continues)
    return document


async def do_answer_document(document: Document, *, actor: Actor, text: str,
                             file_ids: list[int]) -> Document:
    """答复: the receiving desk answers the sender (once), with files of its own; the sender
    may read them. Emits `document.answered` to the sender's drafter and desk."""
    incoming_in(document, (State.HANDLING, State.DONE), "answered")
    if not await is_clerk(actor.id, document.unit_id):
        raise Forbidden("Only the desk of the unit may answer.", slug="not-a-clerk")
    files = await claim_files(actor, file_ids)
    source = await sender(document)
    async with atomic() as work:
        now = utcnow()
        if not await Delivery.filter(incoming_id=document.id, answered_at=None).update(
                answer=text, answer_file_ids=file_ids, answered_at=now,
                answered_by_id=actor.id):
            raise Conflict("The sender has been answered already.", slug="already-answered")
        await _reference(files_of=[f.id for f in files], documents=[document.id, source.id])
        work.audit("document.answer", RECORD, document.id, source_id=source.id,
                   file_ids=file_ids)
        notify(work, "answered", source, await owners(source), by=actor.id,
               unit_id=document.unit_id, text=text, file_ids=file_ids, answered_at=now)
    return document


async def _reference(*, files_of: list[int], documents: list[int]) -> None:
    rows = [DocumentFile(document_id=d, file_id=f, role="answer") for d in documents
            for f in files_of]
    if rows:
        await DocumentFile.bulk_create(rows, ignore_conflicts=True)

