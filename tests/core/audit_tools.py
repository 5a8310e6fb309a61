"""What an insider who can write the database does to hide history, run as a script:

    python audit_tools.py DATABASE_URL truncate|rehash|renumber

Each rewrites the chain so that it still verifies on its own (`tongban audit verify`).
`seed N` appends N entries the way every action does (`core.tx.atomic`), to have a chain.
"""

from __future__ import annotations

import asyncio
import sys

from core.audit import GENESIS, entry_hash, hashed_fields
from core.db import close_db, open_db
from core.models import AuditEntry
from core.tx import atomic
from server.apps import database_config


async def rehash(from_seq: int) -> None:
    """Recompute every hash from `from_seq` on, as the verifier would."""
    before = await AuditEntry.get_or_none(seq=from_seq - 1)
    prev = before.hash if before else GENESIS
    for row in await AuditEntry.filter(seq__gte=from_seq).order_by("seq"):
        fields = hashed_fields(seq=row.seq, at=row.at, pending=row, detail=row.detail,
                               prev_hash=prev)
        row.prev_hash, row.hash = prev, entry_hash(fields)
        await row.save(update_fields=["prev_hash", "hash"])
        prev = row.hash


async def truncate() -> None:
    tail = await AuditEntry.all().order_by("-seq").first()
    assert tail is not None
    await AuditEntry.filter(seq__gt=tail.seq - 3).delete()


async def edit_and_rehash() -> None:
    await AuditEntry.filter(seq=2).update(detail='{"note":"forged"}')
    await rehash(2)


async def delete_and_renumber() -> None:
    await AuditEntry.filter(seq=2).delete()
    for row in await AuditEntry.filter(seq__gt=2).order_by("seq"):
        await AuditEntry.filter(id=row.id).update(seq=row.seq - 1)
    await rehash(2)


async def seed(count: int) -> None:
    for n in range(count):
        async with atomic() as work:
            work.audit("test.seed", "test", n, n=n)


ATTACKS = {"truncate": truncate, "rehash": edit_and_rehash, "renumber": delete_and_renumber}


async def main(url: str, command: str, *args: str) -> None:
    await open_db(database_config(url), run_migrations=command == "seed")
    try:
        await (seed(int(args[0])) if command == "seed" else ATTACKS[command]())
    finally:
        await close_db()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:]))
