"""First-run helpers: the system administrator."""

from __future__ import annotations

import asyncio

from core.config import Settings
from core.security import Passwords
from core.tx import atomic
from directory.models import Person


async def create_admin(username: str, password: str, *, settings: Settings) -> Person:
    """Create the administrator, or reset the password and admin flag if the name exists."""
    passwords = Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
    hashed = await asyncio.to_thread(passwords.hash, password)
    async with atomic() as work:
        person, created = await Person.get_or_create(
            username=username.lower(),
            defaults={"display_name": "系统管理员", "password_hash": hashed, "is_admin": True},
        )
        if not created:
            await Person.filter(id=person.id).update(password_hash=hashed, is_admin=True, active=True)
        work.audit("org.admin.create" if created else "org.admin.reset", "person", person.id)
    return person
