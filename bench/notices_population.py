"""A city of N people for the notices benchmark, written straight through the models.

    python -m bench.notices_population --people 100000     (TONGBAN_* settings apply)

Creating 100,000 people through the API would take the benchmark's whole time budget (a
password hash and a request each), so this set-up step, run in its own process before the
server starts on the same data folder, migrates the database and bulk-inserts the org through
the directory models: 城市 → 市政府办公室 (the publisher, a clerk) and COUNTIES counties →
TOWNSHIPS townships each → VILLAGES villages each, the people spread evenly over the villages,
one primary post each. Everyone shares one Argon2 hash of the bench password. Prints a JSON
line with the ids the benchmark needs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator

from core.config import load_settings
from core.db import close_db, open_db
from core.security import Passwords
from core.tx import atomic
from directory.models import Person, Position, Unit
from server.apps import database_config

COUNTIES, TOWNSHIPS, VILLAGES = 10, 10, 10
PASSWORD = "bench-password-1"
CHUNK = 5000


class Tree:
    """Units with explicit ids, so their materialised paths are known before inserting."""

    def __init__(self) -> None:
        self.units: list[Unit] = []

    def add(self, name: str, level: int, parent: Unit | None) -> Unit:
        unit_id = len(self.units) + 1
        path = f"{parent.path if parent else '/'}{unit_id}/"
        unit = Unit(id=unit_id, name=name, level=level, parent_id=parent.id if parent else None,
                    path=path, depth=(parent.depth + 1) if parent else 1)
        self.units.append(unit)
        return unit


def build_tree() -> tuple[Tree, Unit, Unit, list[Unit]]:
    tree = Tree()
    city = tree.add("基准市", 2, None)
    office = tree.add("基准市政府办公室", 2, city)
    villages: list[Unit] = []
    for c in range(COUNTIES):
        county = tree.add(f"第{c + 1}县", 3, city)
        for t in range(TOWNSHIPS):
            township = tree.add(f"第{c + 1}县第{t + 1}镇", 4, county)
            villages.extend(tree.add(f"{township.name}第{v + 1}村", 5, township)
                            for v in range(VILLAGES))
    return tree, city, office, villages


def people(count: int, villages: list[Unit], hashed: str) -> Iterator[tuple[Person, Position]]:
    for n in range(1, count + 1):
        person = Person(id=n + 1, username=f"p{n:06d}", display_name=f"人员{n:06d}",
                        password_hash=hashed)
        yield person, Position(person_id=person.id, unit_id=villages[n % len(villages)].id,
                               title="科员", roles=[], is_primary=True)


async def insert(count: int, hashed: str) -> dict[str, int]:
    tree, city, office, villages = build_tree()
    clerk = Person(id=1, username="benchclerk", display_name="市府办文书", password_hash=hashed)
    async with atomic():
        await Unit.bulk_create(tree.units)
        await Person.bulk_create([clerk])
        await Position.bulk_create([Position(person_id=1, unit_id=office.id, title="文书",
                                             roles=["clerk"], is_primary=True)])
    rows = list(people(count, villages, hashed))
    for start in range(0, len(rows), CHUNK):
        async with atomic():
            await Person.bulk_create([person for person, _ in rows[start : start + CHUNK]])
            await Position.bulk_create([post for _, post in rows[start : start + CHUNK]])
    return {"city": city.id, "office": office.id, "village": villages[0].id,
            "units": len(tree.units), "people": count}


async def main(count: int) -> None:
    settings = load_settings()
    hashed = Passwords(time_cost=settings.argon2_time_cost,
                       memory_kib=settings.argon2_memory_kib).hash(PASSWORD)
    await open_db(database_config(settings.database_url))
    try:
        if await Person.filter(username="benchclerk").exists():
            raise SystemExit("the data folder already holds a bench population")
        print(json.dumps(await insert(count, hashed)), flush=True)
    finally:
        await close_db()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bulk-insert the notices bench population")
    parser.add_argument("--people", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().people))
