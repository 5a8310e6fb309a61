"""Who may read a file: its uploader, and whoever may see a record that references it.

Packages that attach files (messages, documents, tasks…) register a reference checker at
start-up. The files package never imports them: the arrow points from them to here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from files.models import StoredFile

# (person_id, file_id) -> may this person see a record that references the file?
ReferenceChecker = Callable[[int, int], Awaitable[bool]]
_checkers: list[ReferenceChecker] = []


def register_reference(checker: ReferenceChecker) -> None:
    """Add a way for a file to become readable through a record that references it."""
    if checker not in _checkers:
        _checkers.append(checker)


async def may_read(person_id: int, file_id: int) -> bool:
    """True for the uploader and for anyone a registered reference checker allows."""
    if await StoredFile.exists(id=file_id, owner_id=person_id):
        return True
    for checker in _checkers:
        if await checker(person_id, file_id):
            return True
    return False
