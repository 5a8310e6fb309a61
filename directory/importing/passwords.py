"""Passwords of imported people: generated where the file gives none, hashed before the write."""

from __future__ import annotations

import asyncio
import csv
import os
import secrets
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.clock import utcnow
from core.config import private_dir
from core.security import Passwords
from directory.importing.plan import OrgPlan


async def hash_passwords(passwords: Passwords, plain: Iterable[str]) -> dict[str, str]:
    """One Argon2 hash per distinct password, on every core, outside any transaction.

    Identical passwords in one import (a shared initial password, or the demo's) share one hash:
    that shows nothing the file did not already say, and saves a second of CPU per person.
    """
    distinct = sorted(set(plain))
    if not distinct:
        return {}
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=min(len(distinct), os.cpu_count() or 1))
    try:
        hashed = await asyncio.gather(
            *(loop.run_in_executor(pool, passwords.hash, password) for password in distinct)
        )
    finally:  # if cancelled, drop the queued hashes rather than wait minutes for them
        pool.shutdown(wait=False, cancel_futures=True)
    return dict(zip(distinct, hashed, strict=True))


def assign_passwords(plan: OrgPlan) -> dict[str, str]:
    """Give each person without a password a random one; returns them by username."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
    generated: dict[str, str] = {}
    for person in plan.people:
        if not person.password:
            person.password = "".join(secrets.choice(alphabet) for _ in range(12))
            generated[person.username] = person.password
    return generated


def write_sheet(data_dir: Path, generated: dict[str, str]) -> Path:
    """Write generated passwords (mode 0600) before the import, so none can be lost after it."""
    folder = private_dir(data_dir / "imports")
    path = folder / f"passwords-{utcnow():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "password"])
        writer.writerows(sorted(generated.items()))
    return path
