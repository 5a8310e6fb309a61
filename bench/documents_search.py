"""Document search latency over 100,000 documents, and issue (编号) throughput.

    python bench/documents_search.py [--documents 100000] [--queries 200] [--issues 500]
                                     [--databases sqlite,postgres]

For each database:
1. Start the real server (`bench/tongban_server.py`: uvicorn, the whole app) in its own process,
   pinned to one core; a fresh SQLite file in a temporary folder, or the PostgreSQL database
   `bench_documents` on 127.0.0.1 (created if missing, its schema emptied first).
2. Through the HTTP API: one unit with its clerk (收发文员: sees every document of the unit), a
   drafter, and a reader who is named on 1 % of the documents.
3. The bench's own set-up: N documents bulk-inserted straight into the database (rows of
   `doc_document`, `doc_text` with a title, a number and ~400 characters of body text built from
   a vocabulary of government phrases, and `doc_access`); the FTS5 trigram triggers (SQLite) or
   the pg_trgm GIN index (PostgreSQL) index them as they go in.
4. Search: `GET /v1/documents?q=…&limit=20`, `--queries` requests of each kind one after
   another, as the clerk and as the reader. Kinds: a common phrase (in ~1/4 of the documents), a
   rare one (0.1 %), one found nowhere, a document number, and two-character queries (common
   and rare), which trigram indexes cannot serve (SQLite falls back to LIKE).
5. Issue: `--issues` signed documents, each `POST /v1/documents/{id}/issue` in one series by 50
   requests at once; issues/s, latency, and the numbers checked to be 1…N without a gap.
Printed: p50/p99 per kind and reader, and the issue figures. Target: search p99 < 100 ms on
SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.pg import fresh_database
from bench.servers import ServerProcess, cores, start_server, stop_all
from bench.targets import scratch_dir
from bench.tongban_setup import PASSWORD, admin_token, bounded, call, log_in

PG_URL = "postgres://postgres@127.0.0.1:5432/bench_documents"
ENV = {"TONGBAN_ARGON2_TIME_COST": "1", "TONGBAN_ARGON2_MEMORY_KIB": "1024",
       "TONGBAN_BUS_URL": "memory://", "TONGBAN_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
       "TONGBAN_SECRET_KEY": "bench-secret-key-not-for-production-use-0001"}
PHRASES = (
    "防汛抗旱", "安全生产", "乡村振兴", "营商环境", "生态环境保护", "城乡建设", "财政资金",
    "项目审批", "教育督导", "医疗保障", "社会救助", "就业创业", "食品药品监管", "交通运输",
    "水利工程", "森林防火", "政务公开", "信访维稳", "人才引进", "招商引资", "民生实事",
    "基层治理", "农村人居环境", "防灾减灾",
    "统计调查", "审计整改", "国有资产", "文化旅游", "科技创新", "数字政府", "住房保障", "养老服务",
)
FILLERS = ("根据", "有关要求", "现将", "通知如下", "请各单位", "认真贯彻落实", "结合实际",
           "抓好落实", "确保", "按时报送", "工作情况", "进一步", "加强", "做好", "的", "和", "，",
           "。")
COMMON = "安全生产"  # one document in four mentions it (see `body`)
RARE = "黔东南山洪预警"  # one in a thousand
SHORT_RARE = "鲲鹏"
NOWHERE = "量子通信卫星"
YEAR = datetime.now(UTC).year


@dataclass
class Person:
    username: str
    id: int = 0
    token: str = ""


@dataclass
class World:
    unit: int
    clerk: Person
    drafter: Person
    reader: Person


@dataclass
class Result:
    database: str
    loaded: float = 0.0
    search: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    hits: dict[tuple[str, str], int] = field(default_factory=dict)
    issue_latencies: list[float] = field(default_factory=list)
    issue_seconds: float = 0.0
    gap_free: bool = False


# -- the documents ----------------------------------------------------------------------------

def body(rng: random.Random, n: int) -> str:
    words = [rng.choice(PHRASES if rng.random() < 0.4 else FILLERS) for _ in range(90)]
    if n % 4 == 0:
        words.insert(rng.randrange(len(words)), COMMON)
    if n % 1000 == 7:
        words.insert(rng.randrange(len(words)), RARE)
    if n % 1000 == 3:
        words.insert(rng.randrange(len(words)), SHORT_RARE)
    return "".join(words)[:400]


def document_row(world: World, n: int, *, state: str, now: datetime) -> dict[str, Any]:
    digest = hashlib.sha256(f"bench-{n}".encode()).hexdigest()
    number = f"基准发〔{YEAR}〕{n + 1}号" if state != "signed" else None
    return {
        "direction": "outgoing", "doc_type": "notice",
        "title": f"关于{PHRASES[n % len(PHRASES)]}工作的通知（第{n}号）",
        "state": state, "unit_id": world.unit, "issuing_unit_id": world.unit,
        "drafter_id": world.drafter.id, "urgency": "normal", "secrecy": "none",
        "signer_id": world.clerk.id, "signed_by_id": world.clerk.id, "signed_at": now,
        "signed_sha256": digest, "main_units": "[]", "cc_units": "[]", "note": "",
        "printed_by": "", "version": 1, "content_sha256": digest, "doc_number": number,
        "created_at": now, "updated_at": now,
    }


def rows(world: World, start: int, count: int, state: str) -> Iterator[tuple[dict[str, Any],
                                                                             str]]:
    rng, now = random.Random(start), datetime.now(UTC)
    for n in range(start, start + count):
        yield document_row(world, n, state=state, now=now), body(rng, n)


def load_sqlite(path: Path, world: World, start: int, count: int, state: str) -> list[int]:
    """Insert documents, their search text and access rows in one transaction; their ids."""
    db = sqlite3.connect(path, timeout=60)
    try:
        with db:
            ids = [_insert_sqlite(db, world, row, text) for row, text in
                   rows(world, start, count, state)]
        return ids
    finally:
        db.close()


def _sqlite_value(value: Any) -> Any:
    return str(value) if isinstance(value, datetime) else value


def _insert_sqlite(db: sqlite3.Connection, world: World, row: dict[str, Any], text: str) -> int:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    cursor = db.execute(f"INSERT INTO doc_document ({names}) VALUES ({marks})",
                        [_sqlite_value(v) for v in row.values()])
    doc_id = int(cursor.lastrowid or 0)
    db.execute("INSERT INTO doc_text (id, unit_id, title, number, body) VALUES (?, ?, ?, ?, ?)",
               (doc_id, world.unit, row["title"], row["doc_number"] or "", text))
    db.execute("INSERT INTO doc_version (document_id, number, content_sha256, elements, "
               "attachment_ids, changed, created_by_id, created_at) "
               "VALUES (?, 1, ?, '{}', '[]', '[]', ?, ?)",
               (doc_id, row["content_sha256"], world.drafter.id, str(row["created_at"])))
    db.execute("INSERT INTO doc_access (document_id, person_id, reason) VALUES (?, ?, ?)",
               (doc_id, world.drafter.id, "drafter"))
    if doc_id % 100 == 0:
        db.execute("INSERT INTO doc_access (document_id, person_id, reason) VALUES (?, ?, ?)",
                   (doc_id, world.reader.id, "reader"))
    return doc_id


async def load_postgres(world: World, start: int, count: int, state: str) -> list[int]:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgres://", "postgresql://", 1))
    try:
        async with conn.transaction():
            return await _insert_postgres(conn, world, start, count, state)
    finally:
        await conn.close()


async def _insert_postgres(conn: Any, world: World, start: int, count: int,
                           state: str) -> list[int]:
    made = list(rows(world, start, count, state))
    first = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('doc_document', 'id'))")
    await conn.execute(f"SELECT setval(pg_get_serial_sequence('doc_document', 'id'), "
                       f"{first + count})")
    ids = list(range(first + 1, first + count + 1))
    columns = ["id", *made[0][0]]
    await conn.copy_records_to_table("doc_document", columns=columns, records=[
        (doc_id, *row.values()) for doc_id, (row, _) in zip(ids, made)])
    await conn.copy_records_to_table("doc_text", columns=["id", "unit_id", "title", "number",
                                                          "body"], records=[
        (doc_id, world.unit, row["title"], row["doc_number"] or "", text)
        for doc_id, (row, text) in zip(ids, made)])
    await conn.copy_records_to_table("doc_version", columns=[
        "document_id", "number", "content_sha256", "elements", "attachment_ids", "changed",
        "created_by_id", "created_at"], records=[
        (doc_id, 1, row["content_sha256"], "{}", "[]", "[]", world.drafter.id,
         row["created_at"]) for doc_id, (row, _) in zip(ids, made)])
    access = [(doc_id, world.drafter.id, "drafter") for doc_id in ids]
    access += [(doc_id, world.reader.id, "reader") for doc_id in ids if doc_id % 100 == 0]
    await conn.copy_records_to_table("doc_access", columns=["document_id", "person_id",
                                                            "reason"], records=access)
    await conn.execute("ANALYZE doc_document")
    await conn.execute("ANALYZE doc_text")
    await conn.execute("ANALYZE doc_access")
    return ids


async def load(database: str, folder: Path, world: World, start: int, count: int,
               state: str) -> list[int]:
    if database == "postgres":
        return await load_postgres(world, start, count, state)
    return await asyncio.to_thread(load_sqlite, folder / "tongban.sqlite3", world, start, count,
                                   state)


# -- people, through the API ------------------------------------------------------------------

async def make_world(http: httpx.AsyncClient) -> World:
    admin = await admin_token(http)
    unit = await call(http, "POST", "/v1/org/units", admin,
                      {"name": "公文基准测试单位", "parent_id": None, "level": "province"})
    people = {"clerk": Person("docclerk"), "drafter": Person("docdrafter"),
              "reader": Person("docreader")}
    for role, person in people.items():
        body_ = {"username": person.username, "display_name": f"基准{role}",
                 "password": PASSWORD, "unit_id": unit["id"], "position": "科员",
                 "roles": ["clerk"] if role == "clerk" else []}
        person.id = (await call(http, "POST", "/v1/org/people", admin, body_))["id"]
        person.token = await log_in(http, person.username)
    return World(unit["id"], people["clerk"], people["drafter"], people["reader"])


# -- the measurements -------------------------------------------------------------------------

QUERIES = {
    "common (4 chars, 1/4 of docs)": COMMON, "rare (7 chars, 0.1 %)": RARE,
    "nowhere (6 chars)": NOWHERE, "document number": f"基准发〔{YEAR}〕54321号",
    "short common (2 chars)": "防汛", "short rare (2 chars, 0.1 %)": SHORT_RARE,
    "short nowhere (2 chars)": "乌龟",
}


async def search(http: httpx.AsyncClient, world: World, queries: int, result: Result) -> None:
    for who, person in (("clerk", world.clerk), ("reader", world.reader)):
        for kind, q in QUERIES.items():
            timings = result.search.setdefault((kind, who), [])
            for _ in range(queries):
                started = time.perf_counter()
                reply = await http.get("/v1/documents", params={"q": q, "limit": 20},
                                       headers={"Authorization": f"Bearer {person.token}"})
                timings.append(time.perf_counter() - started)
                if reply.status_code != 200:
                    raise RuntimeError(f"search {q!r} → {reply.status_code}: {reply.text[:200]}")
            result.hits[(kind, who)] = len(reply.json()["items"])


async def issue(http: httpx.AsyncClient, world: World, ids: list[int], result: Result) -> None:
    series = await call(http, "POST", "/v1/documents/series", world.clerk.token,
                        {"unit_id": world.unit, "prefix": "基准签发"})

    async def one(doc_id: int) -> int:
        started = time.perf_counter()
        issued = await call(http, "POST", f"/v1/documents/{doc_id}/issue", world.clerk.token,
                            {"series_id": series["id"]})
        result.issue_latencies.append(time.perf_counter() - started)
        return int(issued["number_seq"])

    started = time.perf_counter()
    numbers = await bounded([partial(one, doc_id) for doc_id in ids], 50)
    result.issue_seconds = time.perf_counter() - started
    result.gap_free = sorted(numbers) == list(range(1, len(ids) + 1))


async def measure(server: ServerProcess, database: str, folder: Path,
                  args: argparse.Namespace) -> Result:
    result = Result(database)
    limits = httpx.Limits(max_connections=60, max_keepalive_connections=60)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=120,
                                 limits=limits) as http:
        world = await make_world(http)
        started = time.perf_counter()
        await load(database, folder, world, 0, args.documents, "archived")
        result.loaded = time.perf_counter() - started
        print(f"  {database}: {args.documents:,} documents loaded in {result.loaded:.1f} s",
              flush=True)
        await search(http, world, args.queries, result)
        signed = await load(database, folder, world, args.documents, args.issues, "signed")
        await issue(http, world, signed, result)
    return result


# -- databases, server, report ----------------------------------------------------------------

def run_one(database: str, args: argparse.Namespace, core: int | None) -> Result:
    folder = scratch_dir(f"tongban-documents-{database}-")
    env = {**ENV, "TONGBAN_DATA_DIR": str(folder)}
    if database == "postgres":
        asyncio.run(fresh_database(PG_URL))
        env["TONGBAN_DATABASE_URL"] = PG_URL
    server = start_server(f"tongban-{database}", "bench.tongban_server", env=env,
                          log_dir=folder, core=core, loop=args.loop, timeout=120)
    try:
        return asyncio.run(measure(server, database, folder, args))
    finally:
        server.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"\nSearch over {args.documents:,} documents, GET /v1/documents?q=…&limit=20, "
          f"{args.queries} requests per line, one at a time:")
    print(f"  {'database':<9} {'query':<30} {'as':<7} {'hits':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        for (kind, who), timings in r.search.items():
            print(f"  {r.database:<9} {kind:<30} {who:<7} {r.hits[(kind, who)]:>5} "
                  f"{percentile(timings, 0.5) * 1000:>8.1f} "
                  f"{percentile(timings, 0.99) * 1000:>8.1f}")
        every = [t for timings in r.search.values() for t in timings]
        print(f"  {r.database:<9} {'all of the above':<30} {'':<7} {'':>5} "
              f"{percentile(every, 0.5) * 1000:>8.1f} {percentile(every, 0.99) * 1000:>8.1f}")
    print("  target: p99 under 100 ms on SQLite. clerk: sees every document of the unit; "
          "reader: named on 1 % of them")
    print(f"\nIssue (编号), {args.issues} signed documents, 50 requests at once, one series:")
    print(f"  {'database':<9} {'issued/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'gap-free 1…N':>13}")
    for r in results:
        print(f"  {r.database:<9} {args.issues / r.issue_seconds:>9,.0f} "
              f"{percentile(r.issue_latencies, 0.5) * 1000:>8.1f} "
              f"{percentile(r.issue_latencies, 0.99) * 1000:>8.1f} {str(r.gap_free):>13}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="requests per query kind")
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    available = cores()
    core = None if args.no_pin or len(available) < 2 else available[0]
    if core is not None:
        os.sched_setaffinity(0, set(available[1:]))
    try:
        results = [run_one(db.strip(), args, core) for db in args.databases.split(",")]
    finally:
        stop_all()
    report(results, args)


if __name__ == "__main__":
    main()
