"""Signed checkpoints of the audit chain's head, so that whoever can write the database cannot
rewrite history unseen.

The hash chain alone (`core.audit`) catches an edit or a deletion in the middle, but not its tail
cut off, nor the whole chain rehashed or renumbered after an edit: the database holds everything
needed to recompute it. A checkpoint fixes the head — seq, hash and row id of the newest entry —
in a note signed with an Ed25519 key that is *not* in the database (a file on the application
host), written to a folder the database cannot reach (a WORM mount, another host). `verify`
then compares the chain with every checkpoint: an entry a checkpoint covers that is gone
(truncation), that moved to another row (renumbering), or whose hash changed (rehash) is named.

Before signing, the chain since the newest checkpoint in the folder is re-verified (the whole
chain for the first one), so each checkpoint vouches for its predecessor too.

Format: a C2SP signed note (see `core.signednote`) whose text has the layout of a C2SP
tlog-checkpoint — origin, size, base64 hash — plus `row` and `time` lines. The hash is the
chain's head, not a Merkle root: any signed-note verifier checks the signature, but witnesses
cannot check consistency proofs against it.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from core.audit import GENESIS, verify_chain
from core.clock import isoformat, utcnow
from core.config import Settings, private_dir
from core.models import AuditEntry, Job
from core.scheduler import Handler, register_job, schedule
from core.signednote import NoteError, NoteKey

log = logging.getLogger(__name__)
JOB = "audit.checkpoint"
SUFFIX = ".note"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    seq: int
    head: str  # hex SHA-256 of entry `seq` (GENESIS for an empty chain)
    row_id: int
    at: str
    source: str = ""

    def text(self) -> str:
        head = base64.b64encode(bytes.fromhex(self.head)).decode()
        return f"{self.origin}\n{self.seq}\n{head}\nrow {self.row_id}\ntime {self.at}\n"

    @classmethod
    def parse(cls, text: str, source: str) -> Checkpoint:
        lines = dict(line.split(" ", 1) for line in text.splitlines()[3:] if " " in line)
        origin, seq, head = text.splitlines()[:3]
        return cls(origin, int(seq), base64.b64decode(head, validate=True).hex(),
                   int(lines["row"]), lines["time"], source)


class ChainDamaged(Exception):
    def __init__(self, damage: list[str]) -> None:
        super().__init__("; ".join(damage))
        self.damage = damage


def load_key(path: Path, *, name: str) -> NoteKey:
    """The signing key kept in `path`, created (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = NoteKey.generate(name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return NoteKey.from_signer(path.read_text())
        with os.fdopen(fd, "w") as handle:
            handle.write(key.signer() + "\n")
        return key
    return NoteKey.from_signer(path.read_text())


def read_checkpoints(folder: Path, key: NoteKey) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints in `folder` signed by `key`, lowest seq first, and what is wrong with
    any other note there (a forged or damaged checkpoint is damage too)."""
    found, damage = [], []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            found.append(Checkpoint.parse(key.open(path.read_text(encoding="utf-8")), path.name))
        except (NoteError, ValueError, KeyError, UnicodeDecodeError, binascii.Error) as exc:
            damage.append(f"FORGED OR DAMAGED: checkpoint {path.name} does not verify: {exc}")
    return sorted(found, key=lambda cp: cp.seq), damage


async def compare(checkpoints: list[Checkpoint]) -> list[str]:
    """What the chain lost or changed that the checkpoints covered: truncation, renumbering,
    a rewrite (edit and rehash)."""
    tail = await AuditEntry.all().order_by("-seq").first()
    end, damage, intact = (tail.seq if tail else 0), [], 0
    for cp in checkpoints:
        row = await AuditEntry.get_or_none(seq=cp.seq) if cp.seq else None
        problem = _problem(cp, row, end, intact)
        if problem:
            damage.append(problem)
        elif cp.seq:
            intact = cp.seq
    return damage


def _problem(cp: Checkpoint, row: AuditEntry | None, end: int, intact: int) -> str | None:
    signed = f"checkpoint {cp.source} (signed {cp.at}) covers entries 1…{cp.seq}"
    since = f"after seq {intact}, the last one a checkpoint still vouches for" if intact else ""
    if cp.seq == 0:
        return None
    if cp.seq > end:
        return f"TRUNCATED: {signed}, but the chain ends at seq {end}: its tail was deleted."
    if row is None:
        return f"DELETED: {signed}, but entry {cp.seq} is gone."
    if row.hash == cp.head:
        return None
    if row.id != cp.row_id:
        return (f"RENUMBERED: {signed}; entry {cp.seq} was row {cp.row_id} and is row {row.id} "
                f"now: entries were deleted and the rest renumbered and rehashed {since}.")
    return (f"REWRITTEN: {signed}, but entry {cp.seq} no longer has the signed hash: the chain "
            f"was edited and rehashed at or before seq {cp.seq} {since}.")


async def damage_since(previous: Checkpoint | None) -> list[str]:
    """The chain from `previous` (or from its start) to its head, checked before a signature."""
    after = None
    if previous is not None and previous.seq:
        damage = await compare([previous])
        if damage:
            return damage
        after = await AuditEntry.get(seq=previous.seq)
    report = await verify_chain(after=after)
    if report.ok:
        return []
    return [f"BROKEN: entry seq={report.broken_seq} (row {report.broken_id}): {report.reason}."]


async def write_checkpoint(folder: Path, key: NoteKey) -> tuple[Checkpoint, Path]:
    """Check the chain since the newest checkpoint in `folder`, then sign its head there.

    Raises ChainDamaged, signing nothing, if the chain does not continue what was signed.
    """
    if not folder.exists():  # an operator's existing (WORM, remote) folder keeps its own modes
        private_dir(folder)
    known, _ = read_checkpoints(folder, key)
    damage = await damage_since(known[-1] if known else None)
    if damage:
        raise ChainDamaged(damage)
    head = await AuditEntry.all().order_by("-seq").first()
    now = utcnow()
    cp = Checkpoint(key.name, head.seq if head else 0, head.hash if head else GENESIS,
                    head.id if head else 0, isoformat(now))
    path = folder / f"audit-{cp.seq:012d}-{now:%Y%m%dT%H%M%S%f}{SUFFIX}"
    _write_once(path, key.sign(cp.text()))
    return cp, path


def _write_once(path: Path, note: str) -> None:
    """Create, never overwrite (a WORM folder refuses that anyway), and reach the disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(note)
        handle.flush()
        os.fsync(handle.fileno())


async def ensure_scheduled() -> None:
    """Make sure the recurring checkpoint job exists (each process calls it at start-up)."""
    job, created = await Job.get_or_create(
        key=JOB, defaults={"name": JOB, "due_at": utcnow(), "payload": "{}"})
    if not created and job.state != "pending":
        await schedule(JOB, key=JOB, due_at=utcnow(), payload={})


def checkpoint_job(settings: Settings) -> Handler:
    """The scheduler's handler: sign a checkpoint into the configured folder, then come back
    after `audit_checkpoint_seconds`."""
    folder = settings.audit_checkpoint_dir
    every = timedelta(seconds=settings.audit_checkpoint_seconds)
    assert folder is not None

    async def run(payload: dict[str, Any]) -> None:
        try:
            cp, path = await write_checkpoint(folder, signing_key(settings))
            log.info("audit checkpoint of seq %s written to %s", cp.seq, path)
        except ChainDamaged as damaged:
            log.error("audit chain damaged, no checkpoint signed: %s", damaged)
        finally:
            await schedule(JOB, key=JOB, due_at=utcnow() + every, payload={})

    return run


def key_file(settings: Settings) -> Path:
    return settings.audit_key_file or settings.data_dir / "audit-signing.key"


def signing_key(settings: Settings) -> NoteKey:
    name = "".join(ch for ch in settings.issuer if ch.isalnum() or ch in "-._/") or "tongban"
    return load_key(key_file(settings), name=f"{name}/audit")


def verifying_key(settings: Settings, given: str | None = None) -> NoteKey:
    """The key checkpoints must be signed with: given, configured, or that of the key file."""
    if given or settings.audit_verifier_key:
        return NoteKey.from_verifier(given or settings.audit_verifier_key)
    if not key_file(settings).exists():
        raise NoteError(f"No verifier key given and no signing key at {key_file(settings)}.")
    return signing_key(settings)


async def start_checkpoints(settings: Settings) -> None:
    """Run checkpoints on a schedule if a folder is configured (`TONGBAN_AUDIT_CHECKPOINT_DIR`)."""
    if settings.audit_checkpoint_dir is None:
        return
    signing_key(settings)  # made now, not in the middle of a job
    register_job(JOB, checkpoint_job(settings))
    await ensure_scheduled()
