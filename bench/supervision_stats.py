"""How long the supervision statistics take (`GET /v1/tasks/stats?unit=ID`) with 100,000 tasks
over a six-level unit tree, on SQLite and on PostgreSQL.

    . .venv/bin/activate
    python bench/supervision_stats.py                     # both databases, ~1–2 minutes
    python bench/supervision_stats.py --databases sqlite --tasks 100000 --runs 200

Set-up (in this process, straight through the models, not the API, to be quick):
- a fresh database: SQLite in a temporary `TONGBAN_DATA_DIR`; PostgreSQL database
  `bench_supervision` on 127.0.0.1 (created if missing, its schema emptied first), both migrated;
- a unit tree of six levels with fan-outs 8 cities × 8 counties × 8 townships × 6 villages ×
  3 grids (12,873 units, paths materialised as the directory stores them);
- `--tasks` tasks bulk-inserted with `Task.bulk_create`, each led by a random unit (levels
  weighted 1/4/15/30/30/20 % from province to grid), the task carrying that unit's path; states
  mixed like a live ledger: 40 % done (a third of them late), 3 % cancelled, 7 % submitted, the
  rest open, due times spread over ±30 days around now;
- `ANALYZE` on PostgreSQL (what autovacuum does after a bulk load in production).

Measured, for the province (every task), one city, one county and one township:
- `query`: the statistics function in this process (`supervision.stats.unit_stats`: the one
  grouped SQL query plus the sub-units' names), `--runs` times after a warm-up;
- `HTTP`: the real app in its own process (`bench/tongban_server.py`: uvicorn, same database),
  `GET /v1/tasks/stats?unit=ID` as a system administrator, one request at a time (with two
  or more cores, the server pinned to one and this process to another).
Figures are milliseconds. The target is p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.pg import fresh_database
from bench.servers import cores, start_server
from bench.tongban_setup import admin_token
from core.clock import utcnow
from core.db import close_db, connection, dialect, open_db
from directory.models import Person, Unit
from server.apps import database_config
from supervision.models import Task
from supervision.stats import statements, unit_stats

PG_URL = "postgres://postgres@127.0.0.1:5432/bench_supervision"
FANOUT = (8, 8, 8, 6, 3)  # below the province: cities, counties, townships, villages, grids
LEVEL_WEIGHTS = (1, 4, 15, 30, 30, 20)
SCOPES = ("province", "city", "county", "township")


@dataclass
class Tree:
    by_level: dict[int, list[Unit]]

    def first(self, level: int) -> Unit:
        return self.by_level[level][0]


def build_units() -> Tree:
    """The six-level tree, ids given here so paths can be written in one pass."""
    next_id = 1
    root = Unit(id=next_id, name="基准省", level=1, depth=1, path="/1/", parent_id=None)
    levels = {1: [root]}
    for depth, fan in enumerate(FANOUT, start=2):
        levels[depth] = []
        for parent in levels[depth - 1]:
            for n in range(fan):
                next_id += 1
                levels[depth].append(Unit(
                    id=next_id, name=f"单位{next_id}", level=depth, depth=depth,
                    path=f"{parent.path}{next_id}/", parent_id=parent.id,
                ))
    return Tree(levels)


def make_task(n: int, unit: Unit, creator_id: int, now: datetime, rng: random.Random) -> Task:
    due = now + timedelta(seconds=rng.uniform(-30, 30) * 86400)
    fields: dict[str, Any] = {"state": "assigned"}
    roll = rng.random()
    if roll < 0.40:
        late = rng.uniform(3600, 10 * 86400) if rng.random() < 1 / 3 else -rng.uniform(0, 86400)
        fields = {"state": "done", "submitted_at": due + timedelta(seconds=late),
                  "finished_at": due + timedelta(seconds=late), "late_seconds": max(0, int(late)),
                  "percent": 100}
    elif roll < 0.43:
        fields = {"state": "cancelled", "cancelled_at": due - timedelta(days=5)}
    elif roll < 0.50:
        fields = {"state": "submitted", "submitted_at": due + timedelta(days=rng.uniform(-5, 2))}
    elif roll < 0.75:
        fields = {"state": "in_progress", "percent": rng.randrange(1, 100)}
    elif roll < 0.90:
        fields = {"state": "received"}
    origin = unit.parent_id or unit.id
    return Task(
        id=n, title=f"督办事项{n}", creator_id=creator_id, origin_unit_id=origin,
        origin_path=unit.path.rsplit("/", 2)[0] + "/" if unit.parent_id else unit.path,
        lead_type="unit", lead_id=unit.id, unit_id=unit.id, path=unit.path, lineage=f"/{n}/",
        due_at=due, original_due_at=due, created_at=due - timedelta(days=30), **fields,
    )


async def load(url: str, tasks: int) -> Tree:
    """Migrate, then insert the tree and the tasks through the models."""
    from tortoise.transactions import in_transaction

    await open_db(database_config(url))
    tree = build_units()
    rng, now = random.Random(7), utcnow()
    creator = await Person.create(username="bench-creator", display_name="督办员",
                                  password_hash="-")
    async with in_transaction():
        for level in sorted(tree.by_level):
            await Unit.bulk_create(tree.by_level[level], batch_size=1000)
    levels = rng.choices(range(1, 7), weights=LEVEL_WEIGHTS, k=tasks)
    for start in range(0, tasks, 5000):
        batch = [make_task(n + 1, rng.choice(tree.by_level[levels[n]]), creator.id, now, rng)
                 for n in range(start, min(tasks, start + 5000))]
        async with in_transaction():
            await Task.bulk_create(batch, batch_size=1000)
    await _after_load(sum(len(units) for units in tree.by_level.values()))
    return tree


async def _after_load(units: int) -> None:
    if dialect() == "postgres":
        db = connection()
        await db.execute_script(
            f"SELECT setval(pg_get_serial_sequence('dir_unit', 'id'), {units});"
            "SELECT setval(pg_get_serial_sequence('sup_task', 'id'), (SELECT max(id) FROM sup_task));"
            "ANALYZE;"
        )


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    for _ in range(5):
        await call()
    spent = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - began) * 1000)
    return spent


def summary(spent: list[float]) -> str:
    ordered = sorted(spent)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered):8.2f} {p99:8.2f} {ordered[-1]:8.2f}"


def targets(tree: Tree) -> dict[str, Unit]:
    return {scope: tree.first(level) for level, scope in enumerate(SCOPES, start=1)}


async def _stats_now(unit: Unit) -> dict[str, Any]:
    return await unit_stats(unit, utcnow())


async def in_process(tree: Tree, runs: int) -> dict[str, tuple[int, list[float]]]:
    found = {}
    for scope, unit in targets(tree).items():
        stats = await unit_stats(unit, utcnow())
        total = sum(v for k, v in stats["total"].items() if k in ("assigned", "cancelled"))
        found[scope] = (total, await timed(partial(_stats_now, unit), runs))
    return found


async def plan(tree: Tree) -> str:
    province = tree.first(1)
    [(sql, params)] = statements(province, tree.by_level[2], utcnow())
    db = connection()
    if dialect() == "sqlite":
        rows = await db.execute_query_dict("EXPLAIN QUERY PLAN " + sql, params)
        return "; ".join(sorted({str(row["detail"]) for row in rows}))
    rows = await db.execute_query_dict("EXPLAIN " + sql, params)
    return "; ".join(str(row["QUERY PLAN"]).strip() for row in rows if "Scan" in row["QUERY PLAN"])


async def over_http(url: str, data_dir: Path, tree: Tree, runs: int) -> dict[str, list[float]]:
    env = {"TONGBAN_DATA_DIR": str(data_dir), "TONGBAN_DATABASE_URL": url,
           "TONGBAN_ARGON2_TIME_COST": "1", "TONGBAN_ARGON2_MEMORY_KIB": "1024"}
    pinned = cores()
    server = start_server("tongban", "bench.tongban_server", env=env, log_dir=data_dir,
                          core=pinned[0] if len(pinned) > 1 else None, loop="auto")
    if len(pinned) > 1:  # the server on one core, this process (the client) on another
        os.sched_setaffinity(0, {pinned[1]})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}",
                                     timeout=30) as http:
            headers = {"Authorization": f"Bearer {await admin_token(http)}"}

            async def get(unit_id: int) -> None:
                reply = await http.get("/v1/tasks/stats", params={"unit": unit_id},
                                       headers=headers)
                reply.raise_for_status()

            return {scope: await timed(partial(get, unit.id), runs)
                    for scope, unit in targets(tree).items()}
    finally:
        server.stop()


async def bench(database: str, tasks: int, runs: int) -> list[str]:
    """Load, measure in process and over HTTP; the temporary data folder goes at the end."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-supervision-{database}-"))
    try:
        return await measure(database, tasks, runs, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def measure(database: str, tasks: int, runs: int, data_dir: Path) -> list[str]:
    machine_cores = len(cores())  # before the HTTP phase pins this process to one core
    url = f"sqlite://{data_dir / 'tongban.sqlite3'}" if database == "sqlite" else PG_URL
    if database == "postgres":
        await fresh_database(PG_URL)
    began = time.perf_counter()
    tree = await load(url, tasks)
    loaded = time.perf_counter() - began
    try:
        local = await in_process(tree, runs)
        explained = await plan(tree)
    finally:
        await close_db()
    remote = await over_http(url, data_dir, tree, runs)
    busy = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    heading = (f"{database}: {tasks:,} tasks loaded in {loaded:.1f} s; load average {busy} "
               f"(cores: {machine_cores}); plan: {explained}")
    lines = [heading]
    for scope in SCOPES:
        count, spent = local[scope]
        lines.append(f"  {database:8} {scope:9} {count:7,}  {summary(spent)}   "
                     f"{summary(remote[scope])}")
    return lines


def header(tasks: int, runs: int) -> list[str]:
    units = sum(math.prod(FANOUT[:n]) for n in range(len(FANOUT) + 1))  # 1 + 8 + … + 9216
    title = f"Statistics per unit: {tasks:,} tasks, {units:,} units in 6 levels, {runs} runs each (ms)"
    columns = (f"  {'database':8} {'scope':9} {'tasks':>7}  {'query p50':>8} {'p99':>8} "
               f"{'max':>8}   {'HTTP p50':>8} {'p99':>8} {'max':>8}")
    return [title, columns]


def main() -> None:
    """Each database in a process of its own: tortoise caches SQL per model and dialect."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("\n".join(asyncio.run(bench(args.databases, args.tasks, args.runs))))
        return
    lines = header(args.tasks, args.runs)
    for database in args.databases.split(","):
        child = subprocess.run(
            [sys.executable, __file__, "--one", "--databases", database.strip(),
             "--tasks", str(args.tasks), "--runs", str(args.runs)],
            capture_output=True, text=True, timeout=900, check=False,
        )
        if child.returncode:
            sys.exit(f"{database} failed:\n{child.stderr[-3000:]}")
        lines.extend(child.stdout.strip().splitlines())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
