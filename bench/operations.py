"""Operations figures: a backup of a database with 1 million messages while people send, and the
feed retention's pruning rate while they send.

    python bench/operations.py [--messages 1000000] [--senders 20] [--seconds 10] [--data DIR]

`--data DIR` keeps the filled data folder there and reuses it on the next run (filling a
million messages takes minutes); without it everything is removed at the end.

1. **The database.** The real server (`bench.tongban_server`, SQLite) makes the people and one
   group chat of 10 per sender through the API. Then, with the server stopped, the database is
   filled directly (stdlib `sqlite3`, large transactions) with `--messages` messages spread over
   those chats, each with the rows the send path writes: its `message.created` event and its
   audit entry, hash-chained as `core.audit` chains them (so `tongban audit verify` passes), the
   full-text index kept by its triggers. Events' times are spread over the last 200 days, so a
   90-day retention has about 55 % of them to remove.
2. **Baseline.** The server serves again, pinned to core 0; `--senders` people send on core 1, one
   closed loop each (the next message as soon as the reply comes): p50/p99 for `--seconds`.
3. **Backup.** While they send, `tongban backup --out FILE.tar.gz`, not pinned (an operator's
   shell on the same machine): its time, the archive's size, the senders' p50/p99 meanwhile,
   and the archive checked with `--verify`.
4. **Retention.** While they send, the server's own pruning job is made due (as every hour): its
   rate from `/metrics` (`tongban_feed_pruned_total`), the senders' p50/p99 meanwhile.

Each phase prints the machine's load and the CPU other processes took: this machine is shared,
and figures taken under load are upper bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.messaging_load import LeanHttp, create_group, person_ids, quantile
from bench.phases import Cpu
from bench.servers import ServerProcess, start_server, stop_all
from bench.targets import TongbanTarget
from bench.tongban_setup import admin_token, grow_audience, tokens_for
from bench.ws_fanout import server_core
from core.audit import GENESIS, PendingAudit, entry_hash, hashed_fields
from core.clock import isoformat
from core.jsonutil import canonical

TARGETS = {
    "backup_seconds": 60.0,  # a 1M-message database, archived while serving
    "p99_during_ms": 100.0,  # a send's p99 while a backup or a prune runs
    "prune_rate": 20_000.0,  # events removed per second by the retention job
}
FILL_BATCH = 20_000
SPREAD = timedelta(days=200)


# -- 1. the database -------------------------------------------------------------------------


@dataclass
class Chat:
    conversation_id: int
    sender_id: int
    username: str
    token: str = ""


async def make_chats(server: ServerProcess, senders: int) -> list[Chat]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=120) as http:
        admin = await admin_token(http)
        audience = await grow_audience(http, None, senders)
        tokens = await tokens_for(http, audience.usernames)
        ids = await person_ids(http, admin, audience)
        chats = []
        for i, token in enumerate(tokens):
            others = [ids[(i + k) % len(ids)] for k in range(1, min(10, len(ids)))]
            chats.append(Chat(await create_group(http, token, f"运维基准{i}", others), ids[i],
                              audience.usernames[i]))
        return chats


async def log_in_again(server: ServerProcess, chats: list[Chat]) -> None:
    """Fresh access tokens: filling takes longer than a token lives."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=120) as http:
        tokens = await tokens_for(http, [chat.username for chat in chats])
    for chat, token in zip(chats, tokens, strict=True):
        chat.token = token


def fill(database: Path, chats: list[Chat], messages: int) -> float:
    """Add `messages` messages with their events and audit entries; returns the seconds taken."""
    started = time.perf_counter()
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    state = FillState.read(conn)
    now = datetime.now(UTC)
    # the set-up's own events come first in id order, so they must be the oldest too
    conn.execute("UPDATE core_event SET at = ?", (str(now - SPREAD - timedelta(days=1)),))
    for start in range(0, messages, FILL_BATCH):
        count = min(FILL_BATCH, messages - start)
        conn.execute("BEGIN")
        _insert_batch(conn, state, chats, count, now, done=start, total=messages)
        conn.execute("COMMIT")
        print(f"… {start + count:,}/{messages:,} messages", file=sys.stderr, end="\r", flush=True)
    for chat in chats:
        conn.execute("UPDATE msg_conversation SET last_seq = ? WHERE id = ?",
                     (state.seqs[chat.conversation_id], chat.conversation_id))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(file=sys.stderr)
    return time.perf_counter() - started


@dataclass
class FillState:
    message_id: int
    event_id: int
    audit_seq: int
    audit_hash: str
    seqs: dict[int, int] = field(default_factory=dict)

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> FillState:
        def top(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0] or 0)

        last = conn.execute("SELECT seq, hash FROM core_audit ORDER BY seq DESC LIMIT 1").fetchone()
        seqs = dict(conn.execute("SELECT id, last_seq FROM msg_conversation").fetchall())
        return cls(top("SELECT max(id) FROM msg_message"), top("SELECT max(id) FROM core_event"),
                   last[0] if last else 0, last[1] if last else GENESIS, seqs)


def _insert_batch(conn: sqlite3.Connection, state: FillState, chats: list[Chat], count: int,
                  now: datetime, *, done: int, total: int) -> None:
    messages, events, audits = [], [], []
    for n in range(count):
        chat = chats[(done + n) % len(chats)]
        at = now - SPREAD + SPREAD * ((done + n) / total) + timedelta(microseconds=1 + n % 997)
        state.message_id += 1
        state.event_id += 1
        seq = state.seqs[chat.conversation_id] = state.seqs.get(chat.conversation_id, 0) + 1
        body = f"关于第{done + n}号文件的办理意见，请于本周内反馈。"
        messages.append((state.message_id, chat.conversation_id, seq, chat.sender_id,
                         uuid.uuid4().hex, body, "[]", 0, "[]", str(at)))
        events.append((state.event_id, "message.created", f"conv:{chat.conversation_id}",
                       _event_data(state.message_id, chat, seq, body, at), str(at)))
        audits.append(_audit_row(state, chat, seq, at))
    conn.executemany(
        "INSERT INTO msg_message (id, conversation_id, seq, sender_id, client_msg_id, body, "
        "mentions, mention_all, file_ids, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", messages)
    conn.executemany("INSERT INTO core_event (id, kind, audience, data, at) VALUES (?,?,?,?,?)",
                     events)
    conn.executemany(
        "INSERT INTO core_audit (seq, at, actor_id, action, record_type, record_id, detail, "
        "prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)", audits)


def _event_data(message_id: int, chat: Chat, seq: int, body: str, at: datetime) -> str:
    return json.dumps({
        "id": message_id, "conversation_id": chat.conversation_id, "seq": seq,
        "sender_id": chat.sender_id, "client_msg_id": "", "body": body, "mentions": [],
        "mention_all": False, "reply_to": None, "files": [], "created_at": isoformat(at),
        "recalled": False, "recalled_at": None, "recalled_by": None,
    }, ensure_ascii=False, separators=(",", ":"))


def _audit_row(state: FillState, chat: Chat, seq: int, at: datetime) -> tuple[object, ...]:
    state.audit_seq += 1
    pending = PendingAudit(action="message.send", record_type="message",
                           record_id=str(state.message_id),
                           detail={"conversation_id": chat.conversation_id, "seq": seq},
                           actor_id=chat.sender_id, session_id=None, device_id=None,
                           address=None)
    detail = canonical(pending.detail)
    fields = hashed_fields(seq=state.audit_seq, at=at, pending=pending, detail=detail,
                           prev_hash=state.audit_hash)
    state.audit_hash = entry_hash(fields)
    return (state.audit_seq, str(at), chat.sender_id, pending.action, pending.record_type,
            pending.record_id, detail, fields["prev_hash"], state.audit_hash)


# -- 2–4. the phases -------------------------------------------------------------------------


@dataclass
class Sends:
    """(start time, latency ms, status) of every send, to be cut into phases."""

    samples: list[tuple[float, float, int]] = field(default_factory=list)

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms, status in self.samples if start <= at < end and status == 201]

    def failures(self) -> int:
        return sum(status != 201 for _, _, status in self.samples)


async def send_loop(port: int, chat: Chat, stop: asyncio.Event, sends: Sends) -> None:
    conn = await LeanHttp.connect(port)
    path = f"/v1/conversations/{chat.conversation_id}/messages"
    failed_in_a_row = 0
    try:
        while not stop.is_set() and failed_in_a_row < 20:  # a broken run ends, not spins
            started = time.monotonic()
            status, _ = await conn.post_json(path, chat.token, {
                "client_msg_id": uuid.uuid4().hex, "body": f"运维基准 {time.time_ns()}"})
            sends.samples.append((started, (time.monotonic() - started) * 1000, status))
            failed_in_a_row = 0 if status == 201 else failed_in_a_row + 1
    finally:
        conn.close()


@dataclass
class Phase:
    name: str
    seconds: float
    latencies: list[float]
    cpu: dict[str, float]
    load: float
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        other = 100 * self.cpu.get("other_cpu", 0) / self.seconds if self.seconds else 0
        return (f"  {self.name:<10} {self.seconds:>7.1f} {len(self.latencies):>7,} "
                f"{quantile(self.latencies, 0.5):>7.1f} {quantile(self.latencies, 0.99):>7.1f} "
                f"{self.load:>6.2f} {other:>6.0f}%  {'; '.join(self.notes)}")


async def timed_phase(name: str, server: ServerProcess, sends: Sends, work: object) -> Phase:
    cpu, load, start = Cpu(server), os.getloadavg()[0], time.monotonic()
    notes = await work  # type: ignore[misc]
    end = time.monotonic()
    return Phase(name, end - start, sends.between(start, end), cpu.used(),
                 max(load, os.getloadavg()[0]), notes)


async def baseline(seconds: float) -> list[str]:
    await asyncio.sleep(seconds)
    return []


async def backup(data_dir: Path, out: Path) -> list[str]:
    env = {**os.environ, "TONGBAN_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "backup", "--out", str(out), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await done.communicate()
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(output.decode())
    database = data_dir / "tongban.sqlite3"
    snapshot = output.decode().splitlines()[0].rstrip(".")  # "Database snapshot: … MiB in … s"
    return [f"backup {seconds:.1f} s (target ≤ {TARGETS['backup_seconds']:.0f} s)", snapshot,
            f"database {database.stat().st_size / 2**20:,.0f} MiB → archive "
            f"{out.stat().st_size / 2**20:,.0f} MiB"]


async def prune(server: ServerProcess, database: Path) -> list[str]:
    """Make the server's own pruning job due; follow its progress on /metrics until done."""
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        first = await pruned_total(http)
        due = str(datetime.now(UTC) - timedelta(seconds=1))
        await asyncio.to_thread(_make_due, database, due)
        started, last, quiet_since = time.monotonic(), first, time.monotonic()
        while time.monotonic() - quiet_since < 5:  # until nothing moved for 5 s
            await asyncio.sleep(0.5)
            now = await pruned_total(http)
            if now > last:
                last, quiet_since = now, time.monotonic()
        seconds = quiet_since - started
    removed = last - first
    return [f"pruned {removed:,.0f} events in {seconds:.1f} s: {removed / seconds:,.0f}/s "
            f"(target ≥ {TARGETS['prune_rate']:,.0f}/s)"]


def _make_due(database: Path, due: str) -> None:
    conn = sqlite3.connect(database, timeout=30)
    conn.execute("UPDATE core_job SET due_at = ? WHERE key = 'core.feed.prune'", (due,))
    conn.commit()
    conn.close()


async def pruned_total(http: httpx.AsyncClient) -> float:
    text = (await http.get("/metrics")).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == "tongban_feed_pruned_total")


async def verify(archive: Path) -> str:
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.cli", "backup", "--verify", str(archive),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    return (await done.communicate())[0].decode().strip()


# -- the run ---------------------------------------------------------------------------------


def postpone_pruning(database: Path) -> None:
    """The pruning job runs only when the retention phase makes it due, not at start-up (a job
    that fell due while the server was down runs at once), which would disturb the others."""
    conn = sqlite3.connect(database, timeout=30)
    conn.execute("UPDATE core_job SET due_at = ? WHERE key = 'core.feed.prune'",
                 (str(datetime.now(UTC) + timedelta(days=1)),))
    conn.commit()
    conn.close()


def start(target: TongbanTarget) -> ServerProcess:
    """The target's server, given time to start on a busy machine (a large database to open)."""
    env = {"TONGBAN_DATA_DIR": str(target.data_dir), "TONGBAN_ARGON2_TIME_COST": "1",
           "TONGBAN_ARGON2_MEMORY_KIB": "1024", "TONGBAN_BUS_URL": "memory://",
           "TONGBAN_SECRET_KEY": "bench-secret-key-not-for-production-use-0001",
           "TONGBAN_FEED_RETENTION_DAYS": str(getattr(target, "retention_days", 90))}
    return start_server(target.name, "bench.tongban_server", env=env, log_dir=target.data_dir,
                        core=target.core, loop=target.loop, timeout=300)


async def prepared(target: TongbanTarget, args: argparse.Namespace) -> list[Chat]:
    """The filled database: made now, or found in `--data` from an earlier run."""
    database, chats_file = target.data_dir / "tongban.sqlite3", target.data_dir / "chats.json"
    if chats_file.exists() and json.loads(chats_file.read_text())["messages"] == args.messages:
        return [Chat(**item) for item in json.loads(chats_file.read_text())["chats"]]
    server = await asyncio.to_thread(start, target)
    chats = await make_chats(server, args.senders)
    await asyncio.to_thread(server.stop)
    filled = await asyncio.to_thread(fill, database, chats, args.messages)
    print(f"Filled {args.messages:,} messages in {filled:.0f} s "
          f"({database.stat().st_size / 2**20:,.0f} MiB).", file=sys.stderr)
    chats_file.write_text(json.dumps({"messages": args.messages,
                                      "chats": [chat.__dict__ for chat in chats]}))
    return chats


async def run(args: argparse.Namespace) -> list[Phase]:
    target = TongbanTarget(core=server_core(args.no_pin), loop="auto")
    if args.data:
        args.data.mkdir(parents=True, exist_ok=True)
        target.data_dir = args.data
    target.retention_days = args.retention_days  # type: ignore[attr-defined]
    database = target.data_dir / "tongban.sqlite3"
    chats = await prepared(target, args)
    postpone_pruning(database)
    server = await asyncio.to_thread(start, target)
    await log_in_again(server, chats)
    sends, stop = Sends(), asyncio.Event()
    senders = [asyncio.create_task(send_loop(server.port, chat, stop, sends)) for chat in chats]
    await asyncio.sleep(2)  # warm-up
    phases = [await timed_phase("baseline", server, sends, baseline(args.seconds))]
    archive = target.data_dir.parent / f"{target.data_dir.name}-backup.tar.gz"
    phases.append(await timed_phase("backup", server, sends, backup(target.data_dir, archive)))
    phases.append(await timed_phase("retention", server, sends, prune(server, database)))
    stop.set()
    await asyncio.gather(*senders)
    phases[1].notes.append(await verify(archive))
    archive.unlink(missing_ok=True)
    if sends.failures():
        phases[-1].notes.append(f"{sends.failures()} sends failed")
    await asyncio.to_thread(server.stop)
    return phases


def report(phases: list[Phase], args: argparse.Namespace) -> str:
    lines = [f"Operations, SQLite, {args.messages:,} messages, {args.senders} senders in closed "
             f"loops, retention {args.retention_days} days (targets: backup ≤ "
             f"{TARGETS['backup_seconds']:.0f} s, send p99 ≤ "
             f"{TARGETS['p99_during_ms']:.0f} ms during backup and pruning, pruning ≥ "
             f"{TARGETS['prune_rate']:,.0f} events/s)",
             "  phase      seconds   sends  p50 ms  p99 ms  load1  other  figures"]
    lines += [phase.line() for phase in phases]
    lines.append("  load1: the machine's 1-minute load average (2 cores); other: CPU taken by "
                 "processes other than the server and this load (backup included) over the phase")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--data", type=Path, help="keep (and reuse) the filled data folder here")
    parser.add_argument("--retention-days", type=int, default=90,
                        help="TONGBAN_FEED_RETENTION_DAYS of the server (lower it to prune a "
                             "reused folder again)")
    args = parser.parse_args(argv)
    try:
        phases = asyncio.run(run(args))
    finally:
        stop_all()
    print(report(phases, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
