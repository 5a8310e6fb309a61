"""Reads the importer shares between checking and writing, in chunks the databases accept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from directory.models import Person

CHUNK = 500  # rows per INSERT / IN (…): well under SQLite's and PostgreSQL's parameter limits


async def person_ids(usernames: Iterable[str], **filters: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(set(usernames))):
        rows = await Person.filter(username__in=chunk, **filters).values_list("username", "id")
        found.update((str(name), int(pid)) for name, pid in rows)
    return found


def chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
