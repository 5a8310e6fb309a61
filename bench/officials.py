"""A working day of N officials, each with a live websocket, against the real server.

    python bench/officials.py --people 5000                       # SQLite, one server process
    python bench/officials.py --people 5000 --workers 2 \\
        --pg postgres://postgres@127.0.0.1:5432/bench_officials \\
        --redis redis://127.0.0.1:6379/0                          # PostgreSQL + Redis, 2 processes

The province: units of `--unit-size` (100) officials under one province unit; each unit has its
unit group (单位群) and its officials are split into group chats (群聊) of `--group-size` (10);
`--leaders` (10 %) of them are leaders with two requests for sign-off (签批) waiting each; one in
ten has a supervised task (督办) signed for. Every official registers a P-256 device key, logs in
and keeps one websocket open (`bench/wsclient.py`), resuming from the last event id it saw
whenever the server closes it. With `--workers 2`, officials alternate between two server
processes on the same PostgreSQL and Redis (as behind a load balancer).

The day lasts `--minutes` (3) of wall time. Each official acts, then thinks for an exponential
time of mean `--think` seconds (30), so N officials make about N/30 actions per second. What they
do (shares of actions, from how 粤政易-style apps are used: reading dominates, chat is most of
the writing):
- 30 % `list` — the inbox screens: conversations (15 %), notices (8 %), approvals (7 %);
- 15 % `open_chat` — the last 30 messages of one of their conversations;
- 15 % `read` — a read receipt (已读) up to the newest message of a conversation;
- 25 % `send` — a message to their group chat (15 %) or their unit group (10 %);
- 8 % `decide` — a leader signs a waiting request on the device key and decides it (others
  look at their approvals inbox instead: counted as `list`);
- 7 % `progress` — an official with a task reports progress (others list notices instead).
Bursts, on top:
- at 25 % of the day the province office sends a notice to everyone (include sub-units) that
  requires confirmation; each official confirms it (`confirm`) after an exponential delay of
  mean `--think`;
- at 50 % a meeting call goes to a fifth of the units; each invitee answers (`rsvp`, 90 %
  attend) within the same kind of delay;
- at 75 % the meeting starts: the organiser shows the check-in code and every invitee who
  accepted checks in (`checkin`) within 60 s.

Printed: per action kind count, p50/p99/max latency and errors (any reply ≥ 400, or no reply);
websocket deliveries per second, event-to-device latency p50/p99 (the event's `at`, stamped in
its transaction, to the bytes reaching the phone's socket; same clock), sockets resumed; the
server processes' CPU (share of one core) and RSS; the targets beside the figures.
Targets (issue 16): every action kind p99 < 500 ms, 0 errors, event-to-device p99 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loops import LOOPS, run
from bench.officials_phone import Day, Phone, connect_phones, feed_head, official_day, percentile
from bench.officials_setup import Http, HttpFailure, Province, build, login
from bench.pg import fresh_database
from bench.profiling import Sampler, summarise
from bench.servers import ServerProcess, cores, machine_cpu_seconds, start_server, stop_all
from bench.targets import scratch_dir
from bench.tongban_server import ADMIN_PASSWORD, ADMIN_USERNAME
from bench.ws_fanout import raise_open_files

TARGET_P99_MS, TARGET_E2D_P99_MS = 500.0, 1000.0
ENV = {"TONGBAN_ARGON2_TIME_COST": "1", "TONGBAN_ARGON2_MEMORY_KIB": "1024",
       "TONGBAN_LOGIN_ATTEMPTS_PER_ADDRESS": "100000000",
       "TONGBAN_LOGIN_ATTEMPTS_PER_ACCOUNT": "100000000",
       "TONGBAN_SECRET_KEY": "bench-secret-key-not-for-production-use-0001",
       # Phones refresh their access token (15 min) and resume; the bench does not model that:
       # a long day on a busy machine would otherwise end in 4401 closes, not in measurements.
       "TONGBAN_ACCESS_TOKEN_SECONDS": "86400"}
# -- bursts -----------------------------------------------------------------------------------

async def react(phones: list[Phone], kind: str, think: float, cap: float, method: str,
                path: str, body: Any = None) -> None:
    """Each phone acts after its own exponential delay (mean `think`, or a third of `cap` if
    less; none later than `cap`)."""
    mean = min(think, cap / 3)

    async def one(phone: Phone) -> None:
        await asyncio.sleep(min(cap, random.expovariate(1 / mean)))
        await phone.act(kind, method, path, body)

    await asyncio.gather(*(one(phone) for phone in phones))


async def province_notice(admin: Http, token: str, province: Province, phones: list[Phone],
                          think: float, cap: float) -> None:
    notice = await admin.json("POST", "/v1/notices", token, {
        "kind": "notice", "title": "关于做好防汛防台风工作的紧急通知", "body": "各单位：……",
        "audience": {"units": [province.root], "include_subunits": True},
        "urgency": "urgent", "requires_confirmation": True})
    await react(phones, "confirm", think, cap, "POST", f"/v1/notices/{notice['id']}/confirm")


async def meeting(admin: Http, token: str, province: Province, phones: list[Phone],
                  think: float, day_seconds: float) -> None:
    """Called at half the day, answered within 12 % of it; at three quarters it begins and the
    attendees check in (check-in opens an hour before the start, which is set an hour ahead
    so that a slow server cannot make the call arrive after its own start)."""
    units = province.units[: max(1, len(province.units) // 5)]
    invited = [p for p in phones if p.person.unit < len(units)]
    starts = datetime.now(UTC) + timedelta(hours=1)
    notice = await admin.json("POST", "/v1/notices", token, {
        "kind": "meeting", "title": "全省安全生产工作视频会议", "body": "请准时参加。",
        "audience": {"units": units, "include_subunits": False},
        "meeting": {"starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(hours=1)).isoformat(),
                    "location": "省政府第一会议室", "checkin_opens_minutes": 120}})
    path = f"/v1/notices/{notice['id']}"
    attending = [p for p in invited if random.random() < 0.9]
    declining = [p for p in invited if p not in set(attending)]
    cap = day_seconds * 0.12
    answers = asyncio.gather(
        react(attending, "rsvp", think, cap, "POST", f"{path}/rsvp", {"answer": "attend"}),
        react(declining, "rsvp", think, cap, "POST", f"{path}/rsvp",
              {"answer": "decline", "reason": "另有公务"}))
    await asyncio.sleep(day_seconds * 0.25)
    await check_in_all(admin, token, path, attending, min(60.0, day_seconds * 0.2))
    await answers


async def check_in_all(admin: Http, token: str, path: str, attending: list[Phone],
                       within: float) -> None:
    """The meeting starts: the organiser's screen shows the rotating code (re-read every 15 s);
    each attendee scans it within `within` seconds, most in the first minutes."""
    code = {"now": (await admin.json("GET", f"{path}/checkin-code", token))["code"]}

    async def refresh() -> None:
        while True:
            await asyncio.sleep(15)
            code["now"] = (await admin.json("GET", f"{path}/checkin-code", token))["code"]

    async def one(phone: Phone) -> None:
        await asyncio.sleep(min(within, random.expovariate(3 / within)))
        await phone.act("checkin", "POST", f"{path}/checkin", {"code": code["now"]})

    refresher = asyncio.create_task(refresh())
    await asyncio.gather(*(one(phone) for phone in attending))
    refresher.cancel()


# -- the run ----------------------------------------------------------------------------------

@dataclass
class Servers:
    processes: list[ServerProcess]
    folder: Path


def start_servers(args: argparse.Namespace, core: int | None) -> Servers:
    folder = scratch_dir("tongban-officials-")
    env = {**ENV, "TONGBAN_DATA_DIR": str(folder), "TONGBAN_BUS_URL": args.redis or "memory://"}
    if args.pg:
        asyncio.run(fresh_database(args.pg))
        env["TONGBAN_DATABASE_URL"] = args.pg
    processes = []
    for n in range(args.workers):  # one after the other: the first migrates
        processes.append(start_server(f"tongban-{n}", "bench.tongban_server", env=env,
                                      log_dir=folder, core=core, loop=args.loop, timeout=180))
    return Servers(processes, folder)


async def run_day(args: argparse.Namespace, servers: Servers) -> tuple[Day, dict[str, Any]]:
    https = [Http(s.port, args.pool) for s in servers.processes]
    started = time.monotonic()
    print(f"setting up {args.people} officials …", flush=True)
    province = await build(https[0], args.people, args.unit_size, args.group_size,
                           args.leaders, args.seed)
    day = Day()
    head = await feed_head(servers.processes[0].port, province.admin_token)
    phones = []
    for person in province.people:
        person.server = person.n % len(https)
        phones.append(Phone(person, https[person.server], servers.processes[person.server].port,
                            day))
        phones[-1].last_id = head  # a phone that was already up to date this morning
    await connect_phones(phones)
    print(f"  … {len(phones)} websockets open ({time.monotonic() - started:.0f} s); "
          f"the day begins", flush=True)
    admin_token = await login(https[0], ADMIN_USERNAME, ADMIN_PASSWORD)
    usage = await measured_day(args, servers, https, province, phones, admin_token, day)
    for http in https:
        http.close()
    return day, usage


async def measured_day(args: argparse.Namespace, servers: Servers, https: list[Http],
                       province: Province, phones: list[Phone], admin_token: str,
                       day: Day) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    seconds = args.minutes * 60
    cpu0 = [s.cpu_seconds() for s in servers.processes]
    load0, machine0, start = time.process_time(), machine_cpu_seconds(), loop.time()
    sampler = Sampler(servers.processes[0].proc.pid, args.profile / "officials-server0.txt") \
        if args.profile else None
    keepers = [asyncio.create_task(p.keep_connected()) for p in phones]
    bursts = asyncio.create_task(run_bursts(args, https[0], admin_token, province, phones,
                                            day))
    await asyncio.gather(*(official_day(p, province, start + seconds, args.think)
                           for p in phones))
    await bursts
    day.seconds = loop.time() - start
    if sampler:
        sampler.stop()
    await asyncio.sleep(3)  # the last deliveries
    usage = {"cpu": [s.cpu_seconds() - c for s, c in zip(servers.processes, cpu0, strict=True)],
             "rss": [s.rss_kib() for s in servers.processes],
             "load": time.process_time() - load0, "machine": machine_cpu_seconds() - machine0}
    for phone in phones:
        phone.closed = True
        if phone.sock is not None:
            phone.sock.close()
    for keeper in keepers:
        keeper.cancel()
    return usage


async def run_bursts(args: argparse.Namespace, http: Http, token: str, province: Province,
                     phones: list[Phone], day: Day) -> None:
    seconds = args.minutes * 60
    await asyncio.sleep(seconds * 0.25)
    notice = asyncio.create_task(burst(day, "notice", province_notice(
        http, token, province, phones, args.think, cap=seconds * 0.6)))
    await asyncio.sleep(seconds * 0.25)
    await burst(day, "meeting", meeting(http, token, province, phones, args.think, seconds))
    await notice


async def burst(day: Day, name: str, work: Awaitable[None]) -> None:
    """The organiser's own requests (publish, check-in code) are timed and counted too."""
    started = time.perf_counter()
    try:
        await work
    except (HttpFailure, OSError, ConnectionError, asyncio.IncompleteReadError) as error:
        day.error(f"{name} (organiser)", str(getattr(error, "status", type(error).__name__)))
        return
    day.bursts[name] = time.perf_counter() - started


def report(args: argparse.Namespace, day: Day, usage: dict[str, Any]) -> str:
    where = (f"PostgreSQL + Redis, {args.workers} server process(es)" if args.pg
             else f"SQLite, {args.workers} server process(es)")
    lines = ["", f"officials — {args.people} officials, a {args.minutes:g}-minute day "
             f"(think {args.think:g} s), {where}", "",
             f"  {'action':<12} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
             f"{'errors':>7}   target p99 < {TARGET_P99_MS:.0f} ms, 0 errors"]
    for kind in sorted(set(day.latencies) | set(day.errors)):
        values, errors = day.latencies.get(kind, []), sum(day.errors.get(kind, {}).values())
        p99 = percentile(values, 0.99)
        verdict = "met" if p99 < TARGET_P99_MS and not errors else "MISSED"
        lines.append(f"  {kind:<12} {len(values):>7,} {percentile(values, 0.5):>8.1f} "
                     f"{p99:>8.1f} {max(values, default=float('nan')):>8.1f} {errors:>7}   "
                     f"{verdict}" + (f" {dict(day.errors[kind])}" if errors else ""))
    total = sum(len(v) for v in day.latencies.values())
    e2d = percentile(day.e2d, 0.99)
    lines += ["", f"  actions: {total:,} in {day.seconds:.0f} s ({total / day.seconds:,.1f}/s)",
              f"  websocket deliveries: {day.deliveries:,} ({day.deliveries / day.seconds:,.0f}/s)"
              f"; event-to-device p50 {percentile(day.e2d, 0.5):,.1f} ms, p99 {e2d:,.1f} ms, "
              f"max {max(day.e2d, default=float('nan')):,.1f} ms   target p99 < 1,000 ms: "
              f"{'met' if e2d < TARGET_E2D_P99_MS else 'MISSED'}",
              f"  sockets resumed: {day.resumed} (server close codes: {day.close_codes or 'none'})",
              "  bursts (publish → the last reaction done): " + (", ".join(
                  f"{name} {took:.0f} s" for name, took in day.bursts.items()) or "none finished")]
    for n, (cpu, rss) in enumerate(zip(usage["cpu"], usage["rss"], strict=True)):
        lines.append(f"  server process {n}: CPU {100 * cpu / day.seconds:.0f}% of a core, "
                     f"RSS {rss / 1024:,.0f} MiB")
    other = usage["machine"] - sum(usage["cpu"]) - usage["load"]
    lines.append(f"  load process CPU {100 * usage['load'] / day.seconds:.0f}%; everything else "
                 f"on the machine (database, Redis, other work) {100 * other / day.seconds:.0f}%;"
                 f" load average {os.getloadavg()[0]:.2f}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--minutes", type=float, default=3.0, help="length of the day (wall)")
    parser.add_argument("--think", type=float, default=30.0, help="mean seconds between actions")
    parser.add_argument("--unit-size", type=int, default=100)
    parser.add_argument("--group-size", type=int, default=10)
    parser.add_argument("--leaders", type=float, default=0.10, help="share of leaders")
    parser.add_argument("--pool", type=int, default=64, help="HTTP connections per server")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL database (emptied first)")
    parser.add_argument("--redis", metavar="URL", help="Redis bus URL (with --pg)")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--loop", default="auto", choices=LOOPS)
    parser.add_argument("--pin", action="store_true",
                        help="pin the server(s) to core 0 and the load to the others")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record server process 0 with py-spy during the day, into DIR")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    random.seed(args.seed)
    raise_open_files(args.people * 2 + args.pool * args.workers + 512)
    available = cores()
    core = available[0] if args.pin and len(available) > 1 else None
    if core is not None:
        os.sched_setaffinity(0, set(available[1:]))
    try:
        servers = start_servers(args, core)
        day, usage = run(run_day(args, servers), args.loop)
    except HttpFailure as error:
        print(f"set-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        stop_all()
    print(report(args, day, usage))
    if args.profile:
        show_profile(args.profile / "officials-server0.txt")
    return 0


def show_profile(path: Path) -> None:
    inclusive, own = summarise(path, top=30)
    print(f"\nWhere server process 0 spent its time ({path}; share of samples, "
          "callees included | own):")
    for (name, share), (own_name, own_share) in zip(inclusive, own, strict=False):
        print(f"  {share:6.1%}  {name[:72]:<72} {own_share:6.1%}  {own_name[:60]}")


if __name__ == "__main__":
    sys.exit(main())
