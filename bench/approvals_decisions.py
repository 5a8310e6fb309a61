"""Signed sign-off decisions per second, with 200 deciders at once, on SQLite and PostgreSQL.

    python bench/approvals_decisions.py [--deciders 200] [--chains 5] [--databases sqlite,postgres]

For each database:
1. Start the real server (`bench/tongban_server.py`: uvicorn, the whole app) in its own process,
   pinned to one core (this process, the load, gets the other); a fresh SQLite file in a
   temporary folder, or the PostgreSQL database `bench_approvals` on 127.0.0.1 (created if
   missing, its schema emptied first).
2. Through the HTTP API: one initiator and N deciders, each logged in with a registered device
   key (P-256), and `--chains` ad-hoc chains per decider of two steps (核稿, 签发), both the
   decider's, so half the decisions open the next step and half complete a chain.
3. All N deciders at once, each deciding its chains' steps one after the other: sign the
   decision on the device key (ES256 compact JWS, fresh `signed_at` and nonce) and
   `POST /v1/approvals/{id}/decisions`. The server checks the signature (device lookup, ES256
   verification, payload, freshness), then in one transaction locks the chain, checks the
   content hash, records the decision with its JWS (unique nonce), moves the chain, writes the
   audit entry and the events.
Printed: decisions/s (replies ÷ wall time from the first request to the last reply), latency
p50/p99 (sign → reply), the CPU of the server process, of this process and of everything else on
the machine (for PostgreSQL that includes the database server), server CPU per decision, and
refusals (there should be none). Each phone has its own keep-alive connection, on a lean
HTTP/1.1 client: httpx would cost this process as much CPU as the server spends.
Target: ≥ 500/s on SQLite.

Measured on the 2-core machine, quiet (other < 3 %), 200 deciders, uvloop:

    database   decisions  seconds    per s   p50 ms   p99 ms  srv CPU  load CPU  srv ms/dec
    sqlite         2,000     3.52      567    346.3    423.4      98%       12%        1.73
    postgres       2,000     5.99      334    569.4    861.3      82%        7%        2.46
    sqlite         8,000    15.40      519    383.3    469.3      97%       11%        1.88
    postgres       8,000    26.60      301    630.0   1124.3      79%        6%        2.63

SQLite is bound by the server's one core: about 1.8 ms of CPU per decision. In py-spy samples
(`--profile DIR`) the request's authentication (session lookup, the access token's ES256
check) takes about a third; the decision's own statements are written out in SQL and share a
group commit. PostgreSQL adds a network round trip per statement.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from tongban_client import DeviceKey

from bench.pg import fresh_database
from bench.profiling import Sampler, summarise
from bench.servers import ServerProcess, cores, machine_cpu_seconds, start_server, stop_all
from bench.targets import scratch_dir
from bench.tongban_setup import PASSWORD, admin_token, bounded, call, log_in

PG_URL = "postgres://postgres@127.0.0.1:5432/bench_approvals"
CONTENT = hashlib.sha256("关于开展安全生产大检查的请示（第一稿）".encode()).hexdigest()
ENV = {"TONGBAN_ARGON2_TIME_COST": "1", "TONGBAN_ARGON2_MEMORY_KIB": "1024",
       "TONGBAN_BUS_URL": "memory://", "TONGBAN_LOGIN_ATTEMPTS_PER_ADDRESS": "1000000",
       "TONGBAN_SECRET_KEY": "bench-secret-key-not-for-production-use-0001"}


@dataclass
class Decider:
    username: str
    key: DeviceKey = field(default_factory=DeviceKey.generate)
    id: int = 0
    token: str = ""
    chains: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Result:
    database: str
    latencies: list[float] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    server_cpu: float = 0.0
    load_cpu: float = 0.0
    other_cpu: float = 0.0


# -- set-up -----------------------------------------------------------------------------------

async def make_people(http: httpx.AsyncClient, count: int) -> tuple[Decider, list[Decider]]:
    admin = await admin_token(http)
    unit = await call(http, "POST", "/v1/org/units", admin,
                      {"name": "签批基准测试单位", "parent_id": None, "level": "province"})
    everyone = [Decider(f"signer{i:04d}") for i in range(count + 1)]

    def create(person: Decider) -> Callable[[], Awaitable[Any]]:
        body = {"username": person.username, "display_name": f"测试{person.username[-4:]}",
                "password": PASSWORD, "unit_id": unit["id"], "position": "科员"}
        return lambda: call(http, "POST", "/v1/org/people", admin, body)

    for person, made in zip(everyone, await bounded([create(p) for p in everyone], 8)):
        person.id = made["id"]
    await bounded([partial(sign_in, http, p) for p in everyone], 16)
    return everyone[0], everyone[1:]


async def sign_in(http: httpx.AsyncClient, person: Decider) -> None:
    person.token = await log_in(http, person.username)
    await call(http, "POST", "/v1/devices", person.token,
               {"name": "办公手机", "platform": "android", "public_jwk": person.key.public_jwk()})


async def start_chains(http: httpx.AsyncClient, initiator: Decider, deciders: list[Decider],
                       per_decider: int) -> None:
    async def start(decider: Decider, n: int) -> None:
        steps = [{"label": label, "mode": "one", "assignees": {"people": [decider.id]}}
                 for label in ("核稿", "签发")]
        body = {"subject_type": "ad-hoc", "subject_id": f"{decider.id}-{n}",
                "title": f"基准测试请示 {decider.id}-{n}", "content_sha256": CONTENT,
                "steps": steps}
        decider.chains.append(await call(http, "POST", "/v1/approvals", initiator.token, body))

    await bounded([partial(start, d, n) for d in deciders for n in range(per_decider)], 16)


# -- the measurement --------------------------------------------------------------------------

class Phone:
    """A lean HTTP/1.1 keep-alive connection: one per decider, as each phone has its own.

    httpx costs the load process about as much CPU per request as the server spends on the
    decision, which would make the load, not the server, the limit."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Phone:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, bytes]:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def decide_all(port: int, decider: Decider, result: Result) -> None:
    """One phone deciding its chains' steps one after the other, signing each on its key."""
    phone = await Phone.connect(port)
    try:
        for chain in decider.chains:
            for step in chain["steps"]:
                await decide_one(phone, decider, chain["id"], step["id"], result)
    finally:
        phone.close()


async def decide_one(phone: Phone, decider: Decider, chain_id: int, step_id: int,
                     result: Result) -> None:
    started = time.perf_counter()
    signature = decider.key.sign_decision(chain=chain_id, step=step_id, decision="approve",
                                          comment="同意", content_sha256=CONTENT)
    status, _ = await phone.post(f"/v1/approvals/{chain_id}/decisions", decider.token, {
        "step_id": step_id, "decision": "approve", "comment": "同意", "signature": signature})
    if status == 201:
        result.latencies.append(time.perf_counter() - started)
    else:
        result.refused[status] = result.refused.get(status, 0) + 1


async def measure(server: ServerProcess, database: str, deciders: int, chains: int,
                  profile: Path | None = None) -> Result:
    base_url = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        initiator, people = await make_people(http, deciders)
        await start_chains(http, initiator, people, chains)
        result = Result(database)
        sampler = Sampler(server.proc.pid, profile / f"{database}.txt") if profile else None
        cpu, load, machine = server.cpu_seconds(), time.process_time(), machine_cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(decide_all(server.port, person, result) for person in people))
        result.seconds = time.perf_counter() - started
        if sampler:
            sampler.stop()
        result.server_cpu = server.cpu_seconds() - cpu
        result.load_cpu = time.process_time() - load
        result.other_cpu = machine_cpu_seconds() - machine - result.server_cpu - result.load_cpu
        await check_finished(http, initiator, people)
    return result


async def check_finished(http: httpx.AsyncClient, initiator: Decider,
                         people: list[Decider]) -> None:
    """Every chain completed, and a sample of them verifies."""
    box = await call(http, "GET", "/v1/approvals/inbox?box=started&limit=100", initiator.token)
    states = {item["chain"]["state"] for item in box["items"]}
    report = await call(http, "GET", f"/v1/approvals/{people[0].chains[0]['id']}/verify",
                        people[0].token)
    if states != {"completed"} or not report["ok"]:
        raise RuntimeError(f"chains not all completed and verified: {states}, {report['ok']}")


# -- databases, server, report ----------------------------------------------------------------

def run_one(database: str, args: argparse.Namespace, core: int | None) -> Result:
    folder = scratch_dir(f"tongban-approvals-{database}-")
    env = {**ENV, "TONGBAN_DATA_DIR": str(folder)}
    if database == "postgres":
        asyncio.run(fresh_database(PG_URL))
        env["TONGBAN_DATABASE_URL"] = PG_URL
    server = start_server(f"tongban-{database}", "bench.tongban_server", env=env,
                          log_dir=folder, core=core, loop=args.loop, timeout=120)
    try:
        return asyncio.run(measure(server, database, args.deciders, args.chains, args.profile))
    finally:
        server.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def report(results: list[Result], deciders: int) -> None:
    print(f"\nSigned decisions, {deciders} deciders at once "
          "(sign on the device key → POST → verified, recorded, chain moved):")
    print(f"  {'database':<10} {'decisions':>9} {'seconds':>8} {'per s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'srv CPU':>8} {'load CPU':>9} {'other':>6} {'srv ms/dec':>11} "
          f"{'refused':>8}")
    for r in results:
        done = len(r.latencies)
        print(f"  {r.database:<10} {done:>9,} {r.seconds:>8.2f} {done / r.seconds:>8,.0f} "
              f"{percentile(r.latencies, 0.5) * 1000:>8.1f} "
              f"{percentile(r.latencies, 0.99) * 1000:>8.1f} "
              f"{r.server_cpu / r.seconds:>8.0%} {r.load_cpu / r.seconds:>9.0%} "
              f"{max(0.0, r.other_cpu) / r.seconds:>6.0%} "
              f"{r.server_cpu * 1000 / max(done, 1):>11.2f} {sum(r.refused.values()):>8}")
    print("  target: at least 500 decisions/s on SQLite. srv/load CPU: share of one core; "
          "other: CPU used by everything else\n  on the machine (above ~10 % the figures are "
          "disturbed: run again on a quiet machine)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--deciders", type=int, default=200)
    parser.add_argument("--chains", type=int, default=5, help="two-step chains per decider")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record the server with py-spy while deciding, into DIR")
    args = parser.parse_args(argv)
    available = cores()
    core = None if args.no_pin or len(available) < 2 else available[0]
    if core is not None:
        os.sched_setaffinity(0, set(available[1:]))
    try:
        results = [run_one(db.strip(), args, core) for db in args.databases.split(",")]
    finally:
        stop_all()
    report(results, args.deciders)
    for result in results if args.profile else []:
        show_profile(args.profile / f"{result.database}.txt")


def show_profile(path: Path) -> None:
    inclusive, own = summarise(path, top=25)
    print(f"\nProfile {path} (share of samples, callees included | own):")
    for (name, share), (own_name, own_share) in zip(inclusive, own):
        print(f"  {share:6.1%}  {name[:70]:<70} {own_share:6.1%}  {own_name[:60]}")


if __name__ == "__main__":
    main()
