"""Push to phones that are asleep: notifications/s from one notice to a city, and event-to-
provider latency at a steady rate, with a fake push gateway answering in 20 ms.

    python bench/push_throughput.py [--people 100000] [--rate 100] [--seconds 20]
                                    [--latency 0.02] [--deadline 900] [--profile DIR]

1. Start the fake push gateway in its own process (`python -m tests.push.fakes --kind gateway
   --latency 0.02`: the Matrix push-gateway shape, every answer after 20 ms).
2. Make a city of N people (`bench/notices_population.py`) and give all but the last 20 one
   phone with a push channel on the `gateway` provider (`bench/push_population.py`: bulk
   inserts, see there why); the server does not run yet.
3. Start the real server (`bench/tongban_server.py`, SQLite) with `TONGBAN_PUSH_GATEWAY_URL`
   pointing at the fake. The last 20 people log in, register a device (`POST /v1/devices`) and
   attach its push channel (`PUT /v1/devices/{id}/push`) through the public API.
4. Steady: 10 of the others each open a direct conversation with two of those 20 and send
   direct messages, `--rate` a second in all for `--seconds` (open loop: on a fixed schedule).
   Each message rings its recipient's phone. Printed: p50/p99 from just before the
   `POST /v1/conversations/{id}/messages` to the push's arrival at the gateway (the whole path:
   HTTP, transaction, feed, the push follower, the outbox, the sender, the provider, the fake).
   Target (issue 10): p99 < 1 s.
5. Burst: the city office's clerk publishes a notice to the whole city asking for confirmation
   (`POST /v1/notices`): one push to each of the N phones. Printed: notifications/s arriving at
   the gateway (first to last arrival, and from the request), the time until the last.
   Target (issue 10): ≥ 2,000/s.
Everything runs on this machine: the figures count the fake's and this process's CPU too.
`--profile DIR` samples the server with py-spy during each phase and prints where it went.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from tongban_client import DeviceKey

from bench.notices_population import PASSWORD
from bench.notices_publish import ENV, OtherLoad, percentile, populate
from bench.profiling import Sampler, summarise
from bench.servers import ROOT, ServerProcess, free_port, start_server, stop_all

API_PHONES, SENDERS = 20, 10
APP_ID = "cn.gov.tongban"
NOTIFY_PATH = "/_matrix/push/v1/notify"


class FakeGateway:
    """The fake push gateway as a process, read through its `/_fake/*` controls."""

    def __init__(self, latency: float, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = (log_dir / "fake-gateway.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.push.fakes", "--kind", "gateway", "--port",
             str(self.port), "--latency", str(latency)], cwd=ROOT, stdout=log,
            stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        self.http = httpx.AsyncClient(base_url=self.url, timeout=60)

    async def ready(self) -> None:
        for _ in range(200):
            try:
                await self.http.get("/_fake/stats")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        raise RuntimeError("the fake gateway did not start")

    async def count(self) -> dict[str, Any]:
        return dict((await self.http.get("/_fake/stats")).json())

    async def received(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while page := (await self.http.get("/_fake/received", params={
                "after": len(rows), "limit": 5000})).json():
            rows += page
        return rows

    async def reset(self) -> None:
        await self.http.post("/_fake/reset")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


def add_phones(data_dir: Path) -> int:
    env = {**os.environ, **ENV, "TONGBAN_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-m", "bench.push_population", "--skip",
                           str(API_PHONES)], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return int(json.loads(done.stdout.strip().splitlines()[-1])["phones"])


async def log_in(http: httpx.AsyncClient, username: str) -> tuple[str, int]:
    reply = await http.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
    reply.raise_for_status()
    return reply.json()["access_token"], int(reply.json()["user"]["id"])


async def call(http: httpx.AsyncClient, method: str, path: str, token: str,
               body: dict[str, Any]) -> dict[str, Any]:
    reply = await http.request(method, path, json=body,
                               headers={"Authorization": f"Bearer {token}"})
    if reply.status_code >= 400:
        raise RuntimeError(f"{method} {path} → {reply.status_code}: {reply.text[:300]}")
    return dict(reply.json())


async def attach_phone(http: httpx.AsyncClient, username: str) -> int:
    """Through the public API: log in, register a device, attach its push channel."""
    token, person_id = await log_in(http, username)
    key = DeviceKey.generate()
    device = await call(http, "POST", "/v1/devices", token, {
        "name": "办公手机", "platform": "android", "public_jwk": key.public_jwk()})
    await call(http, "PUT", f"/v1/devices/{device['id']}/push", token, {
        "provider": "gateway", "token": f"api-pushkey-{username}", "app_id": APP_ID})
    return person_id


async def conversations(http: httpx.AsyncClient, people: int) -> list[tuple[str, int]]:
    """(sender's token, conversation id): each sender with two of the API-attached people."""
    recipients = [await attach_phone(http, f"p{n:06d}")
                  for n in range(people - API_PHONES + 1, people + 1)]
    pairs = []
    for s in range(SENDERS):
        token, _ = await log_in(http, f"p{s + 1:06d}")
        for recipient in recipients[2 * s : 2 * s + 2]:
            conv = await call(http, "POST", "/v1/conversations", token,
                              {"kind": "direct", "member_ids": [recipient]})
            pairs.append((token, int(conv["id"])))
    return pairs


async def steady(http: httpx.AsyncClient, fake: FakeGateway, pairs: list[tuple[str, int]],
                 rate: int, seconds: int) -> None:
    """Direct messages on a fixed schedule; each push's arrival against its send time."""
    await fake.reset()
    sent_at: dict[int, float] = {}
    failures = 0

    async def send(seq: int) -> None:
        nonlocal failures
        token, conv = pairs[seq % len(pairs)]
        started = time.time()
        reply = await http.post(f"/v1/conversations/{conv}/messages",
                                json={"client_msg_id": f"bench-{seq}", "body": f"请阅 {seq}"},
                                headers={"Authorization": f"Bearer {token}"})
        if reply.status_code >= 400:
            failures += 1
            return
        sent_at[int(reply.json()["id"])] = started

    total, begin = rate * seconds, time.perf_counter()
    tasks = []
    for seq in range(total):
        await asyncio.sleep(max(0.0, begin + seq / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(send(seq)))
    await asyncio.gather(*tasks)
    await arrivals(fake, len(sent_at), timeout=10)
    report_latency(await fake.received(), sent_at, total, failures, time.perf_counter() - begin)


async def arrivals(fake: FakeGateway, expected: int, *, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (stats := await fake.count())["count"] < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return stats


def report_latency(rows: list[dict[str, Any]], sent_at: dict[int, float], total: int,
                   failures: int, elapsed: float) -> None:
    latencies = []
    for row in rows:
        message = row["body"]["notification"]["content"].get("message_id")
        if message is not None and int(message) in sent_at:
            latencies.append(row["at"] - sent_at[int(message)])
    print(f"  messages sent                       {total - failures:,} in {elapsed:.1f} s "
          f"({failures} refused)")
    print(f"  pushes arrived                      {len(latencies):,}")
    if latencies:
        print(f"  event → provider p50                {percentile(latencies, 0.5) * 1000:7.0f} ms")
        print(f"  event → provider p99                {percentile(latencies, 0.99) * 1000:7.0f} ms"
              f"   target < 1,000 ms")
        print(f"  event → provider max                {max(latencies) * 1000:7.0f} ms")


async def burst(http: httpx.AsyncClient, fake: FakeGateway, city: int, deadline: float) -> None:
    """One notice to the whole city: how fast its pushes reach the gateway."""
    await fake.reset()
    token, _ = await log_in(http, "benchclerk")
    body = {"kind": "notice", "title": "关于做好全市防汛工作的紧急通知",
            "body": "各县、乡镇、村：……", "audience": {"units": [city], "include_subunits": True},
            "urgency": "urgent", "requires_confirmation": True}
    started = time.time()
    notice = await call(http, "POST", "/v1/notices", token, body)
    expected = int(notice["recipient_count"])
    print(f"  recipients (one phone each)         {expected:,}")
    stats = await watch(fake, expected, started, deadline)
    report_burst(stats, expected, started)


async def watch(fake: FakeGateway, expected: int, started: float,
                deadline: float) -> dict[str, Any]:
    shown = time.monotonic()
    while (stats := await fake.count())["count"] < expected:
        if time.time() - started > deadline:
            print(f"  deadline of {deadline:.0f} s reached")
            break
        if time.monotonic() - shown >= 15:
            shown = time.monotonic()
            print(f"    … {stats['count']:,} pushes after {time.time() - started:.0f} s",
                  flush=True)
        await asyncio.sleep(0.5)
    return stats


def report_burst(stats: dict[str, Any], expected: int, started: float) -> None:
    count, first, last = stats["count"], stats["first_at"], stats["last_at"]
    if not count:
        print("  no push arrived")
        return
    spread = max(last - first, 1e-9)
    print(f"  pushes arrived                      {count:,} of {expected:,}")
    print(f"  first push after the request        {first - started:7.2f} s")
    print(f"  last push after the request         {last - started:7.2f} s")
    print(f"  notifications/s, first → last       {count / spread:9,.0f}   target ≥ 2,000/s")
    print(f"  notifications/s, from the request   {count / (last - started):9,.0f}")


async def measure(server: ServerProcess, fake: FakeGateway, ids: dict[str, int],
                  args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}",
                                 timeout=120) as http:
        pairs = await conversations(http, ids["people"])
        print(f"Steady: {args.rate} direct messages/s for {args.seconds} s, each ringing a "
              f"phone attached through the API")
        load = OtherLoad(server)
        sampler = Sampler(server.proc.pid, args.profile / "steady.txt") if args.profile else None
        await steady(http, fake, pairs, args.rate, args.seconds)
        print(f"  other load on the machine meanwhile {load.share()}")
        if sampler is not None:
            sampler.stop()
            show_profile(args.profile / "steady.txt", "the steady phase")
        print(f"Burst: one notice to the whole city ({ids['people']:,} people)")
        load = OtherLoad(server)
        cpu = server.cpu_seconds()
        sampler = Sampler(server.proc.pid, args.profile / "burst.txt") if args.profile else None
        await burst(http, fake, ids["city"], args.deadline)
        print(f"  server CPU during the burst         {server.cpu_seconds() - cpu:7.1f} s")
        print(f"  other load on the machine meanwhile {load.share()}")
        if sampler is not None:
            sampler.stop()
            show_profile(args.profile / "burst.txt", "the burst")


def show_profile(collapsed: Path, phase: str) -> None:
    inclusive, own = summarise(collapsed, top=30)
    print(f"  server profile during {phase} (share of samples, inclusive):")
    for frame, share in inclusive:
        print(f"    {share * 100:5.1f} %  {frame}")
    print("  … and where the time itself went (self):")
    for frame, share in own[:15]:
        print(f"    {share * 100:5.1f} %  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=100, help="direct messages per second")
    parser.add_argument("--seconds", type=int, default=20, help="length of the steady phase")
    parser.add_argument("--latency", type=float, default=0.02, help="the fake's answer time")
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the burst")
    parser.add_argument("--profile", type=Path, help="folder for a py-spy profile of the burst")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tongban-push-bench-") as folder:
        run(Path(folder), args)


def run(data_dir: Path, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    ids = populate(data_dir, args.people)
    phones = add_phones(data_dir)
    print(f"Population: {ids['people']:,} people, {phones:,} phones bulk-inserted and "
          f"{API_PHONES} to attach through the API, in {time.perf_counter() - started:.1f} s")
    fake = FakeGateway(args.latency, data_dir)
    env = {**ENV, "TONGBAN_DATA_DIR": str(data_dir),
           "TONGBAN_PUSH_GATEWAY_URL": fake.url + NOTIFY_PATH}
    server = start_server("tongban", "bench.tongban_server", env=env, log_dir=data_dir,
                          core=None, loop="auto", timeout=120)
    try:
        asyncio.run(prepare_and_measure(server, fake, ids, args))
    finally:
        stop_all()
        fake.stop()


async def prepare_and_measure(server: ServerProcess, fake: FakeGateway, ids: dict[str, int],
                              args: argparse.Namespace) -> None:
    await fake.ready()
    print(f"Fake push gateway answering in {args.latency * 1000:.0f} ms; server on SQLite")
    await measure(server, fake, ids, args)
    await fake.http.aclose()


if __name__ == "__main__":
    main()
