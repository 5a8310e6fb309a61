"""How each issuing unit appears on its documents: the 发文机关标志, the 发文机关署名 and the
seal. Administrators of the unit (system admins, or unit admins above it) set them; the
unit's desk and leaders may look."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from core.clock import utcnow
from tortoise.exceptions import IntegrityError

from core.errors import Conflict, NotFound
from core.tx import atomic
from directory.actions import require_manager
from directory.auth import Actor
from directory.models import Unit
from directory.policy import Role
from documents.artifact.models import IssuerProfile
from documents.artifact.seal import MAX_BYTES, check_seal
from documents.queries import roles_in
from files import storage
from files.models import StoredFile

RECORD = "issuer"


async def access_unit(actor: Actor, unit_id: int) -> Unit:
    """The unit if the actor administers it or works at it (desk, leader); 404 otherwise."""
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    if actor.is_admin or await roles_in(actor.id, unit.id) & set(Role.ALL):
        return unit
    if any(unit.path.startswith(p) for p in await actor.admin_paths()):
        return unit
    raise NotFound("No such unit.")


async def profile_of(unit: Unit) -> IssuerProfile:
    """The unit's profile, or the defaults (its name, 「文件」, no seal) when none is saved."""
    found = await IssuerProfile.get_or_none(unit_id=unit.id)
    return found or IssuerProfile(unit_id=unit.id, updated_at=utcnow())


async def do_save_issuer(unit: Unit, *, actor: Actor, changes: dict[str, Any]) -> IssuerProfile:
    """Set the unit's 发文机关标志 (`mark`, `mark_suffix`), 署名 (`signature`) or seal size
    (`seal_mm`). Who may: administrators of the unit. Emits nothing."""
    await require_manager(actor, unit)
    try:
        async with atomic() as work:
            profile = await profile_of(unit)
            for name, value in changes.items():
                setattr(profile, name, value)
            profile.updated_by_id, profile.updated_at = actor.id, utcnow()
            await profile.save()
            work.audit("issuer.update", RECORD, unit.id, **changes)
    except IntegrityError as exc:  # the unit's first profile, saved twice at once
        raise Conflict("The unit's letterhead changed at the same moment; reload it.",
                       slug="issuer-changed") from exc
    return profile


async def do_set_seal(unit: Unit, *, actor: Actor, chunks: AsyncIterator[bytes],
                      root: Path) -> IssuerProfile:
    """Upload the unit's seal (PNG with transparency, checked by `seal.check_seal`). The bytes
    are stored and checked before the short transaction that records them. Who may:
    administrators of the unit. Emits nothing."""
    await require_manager(actor, unit)
    received = await storage.receive(chunks, root=root, limit=MAX_BYTES)
    try:
        data = await asyncio.to_thread(received.temp_path.read_bytes)
        await asyncio.to_thread(check_seal, data)
        relative = await storage.file_away(received, root=root)
    except BaseException:
        await storage.discard(received.temp_path)
        raise
    async with atomic() as work:
        stored = await StoredFile.create(
            owner_id=actor.id, name=f"seal-{unit.id}.png", content_type="image/png",
            size=received.size, sha256=received.sha256, path=relative)
        profile = await profile_of(unit)
        profile.seal_file_id, profile.seal_sha256 = stored.id, received.sha256
        profile.updated_by_id, profile.updated_at = actor.id, utcnow()
        await profile.save()
        work.audit("issuer.seal", RECORD, unit.id, file_id=stored.id, sha256=received.sha256)
    return profile


async def do_remove_seal(unit: Unit, *, actor: Actor) -> IssuerProfile:
    """Stop sealing the unit's documents (they are then laid out unsealed, GB/T 9704
    7.3.5.2). Who may: administrators of the unit. Emits nothing."""
    await require_manager(actor, unit)
    async with atomic() as work:
        profile = await profile_of(unit)
        profile.seal_file_id = profile.seal_sha256 = None
        profile.updated_by_id, profile.updated_at = actor.id, utcnow()
        await profile.save()
        work.audit("issuer.seal_removed", RECORD, unit.id)
    return profile


def issuer_public(unit: Unit, profile: IssuerProfile) -> dict[str, Any]:
    return {
        "unit_id": unit.id, "unit_name": unit.name, "mark": profile.mark or unit.name,
        "mark_suffix": profile.mark_suffix, "signature": profile.signature or unit.name,
        "seal": {"sha256": profile.seal_sha256, "diameter_mm": profile.seal_mm}
        if profile.seal_file_id else None,
        "seal_diameter_mm": profile.seal_mm, "updated_at": profile.updated_at,
    }
