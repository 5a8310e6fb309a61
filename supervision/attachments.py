"""Files attached to tasks (附件, 佐证材料) and who may download them through a task."""

from __future__ import annotations

from core.errors import Unprocessable, field_error
from directory.auth import Actor
from directory.models import Person
from files.queries import claim_files
from supervision.models import Task, TaskFile
from supervision.queries import may_see

MAX_FILES_PER_TASK = 500


async def attach_files(
    actor: Actor, task: Task, file_ids: list[int], *, entry_id: int | None = None
) -> list[int]:
    """Attach the actor's own uploads to the task (or to one entry of its record); 422 if a
    file is unknown or someone else's. Call inside the action's transaction."""
    if not file_ids:
        return []
    stored = await claim_files(actor, file_ids)
    if await TaskFile.filter(task_id=task.id).count() + len(stored) > MAX_FILES_PER_TASK:
        msg = f"A task holds at most {MAX_FILES_PER_TASK} files."
        raise Unprocessable(msg, errors=[field_error(["file_ids"], msg, "too_many_files")])
    await TaskFile.bulk_create(
        [TaskFile(task_id=task.id, file_id=f.id, entry_id=entry_id) for f in stored]
    )
    return [f.id for f in stored]


async def may_download(person_id: int, file_id: int) -> bool:
    """The files package asks this: may the person see a task that references the file?"""
    task_ids = await TaskFile.filter(file_id=file_id).values_list("task_id", flat=True)
    if not task_ids:
        return False
    person = await Person.get_or_none(id=person_id, active=True)
    if person is None:
        return False
    for task in await Task.filter(id__in=list(set(task_ids))):
        if await may_see(person, task):
            return True
    return False
