"""How long the web console's cockpit (领导驾驶舱) takes to load in a real browser, for a
province with 100,000 tasks. Target: under 1 s.

    . .venv/bin/activate
    python bench/console_cockpit.py                          # SQLite, ~1–2 minutes
    python bench/console_cockpit.py --databases sqlite,postgres --pg-url postgres://…/bench_console

Set-up: the tree and tasks of `bench/supervision_stats.py` (six levels, 12,873 units, tasks
weighted toward the lower levels, 40 % done, due times ±30 days around now), loaded straight
through the models; then the real app in its own process (`bench/tongban_server.py`, uvicorn)
and a supervisor holding `leader` at the province, made through the API.

Measured with Debian's Chromium driven by Playwright (headless, 1366×768), logged in once
through the console's form:
- `cold`: a new browser context each time (empty cache, the session cookies copied in), from
  navigation to `#/cockpit/{province}` until the figures, both charts and the overdue and
  due-soon lists are on the page: HTML, our modules, Preact, ECharts (1.1 MB) and the four API
  reads (`/v1/tasks/stats`, `/v1/tasks/trend`, two `/v1/tasks?light=…` pages);
- `warm`: the same, reloading in one context (the libraries come from the browser's cache);
- the API reads' own durations as the browser's Resource Timing saw them (cold runs), and the
  server process's CPU time per cold load (static files and the four reads).
The machine's load average is printed beside the figures: other work on it slows them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from playwright.async_api import Browser, BrowserContext, async_playwright

from bench.pg import fresh_database
from bench.servers import ServerProcess, start_server
from bench.supervision_stats import load
from bench.tongban_setup import admin_token, call
from core.db import close_db

TARGET_MS = 1000
CHROMIUM = os.environ.get("TONGBAN_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PASSWORD = "bench-password-1"
# The cockpit is complete when both charts are drawn, the tables are in and nothing loads.
COMPLETE = """() => document.querySelectorAll('.chart[data-ready]').length === 2
  && document.querySelectorAll('[data-kpi]').length >= 6
  && document.querySelectorAll('table').length >= 3
  && ![...document.querySelectorAll('main [role=status]')]
        .some(e => e.textContent.includes('正在加载'))"""
API_TIMES = """() => performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/v1/tasks'))
  .map(e => [new URL(e.name).pathname + ' ' + (new URL(e.name).searchParams.get('light') || ''),
              e.duration])"""


def load_average() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


async def supervisor(base: str, province_id: int) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        token = await admin_token(http)
        await call(http, "POST", "/v1/org/people", token, {
            "username": "cockpit", "display_name": "省督查室主任", "password": PASSWORD,
            "unit_id": province_id, "position": "主任", "roles": ["leader"]})
    return "cockpit"


async def logged_in_state(browser: Browser, base: str, username: str) -> Any:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/console/")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.locator('.live[data-status="live"]').wait_for()
    state = await context.storage_state()
    await context.close()
    return state


async def timed_load(context: BrowserContext, url: str, *, reload: bool) -> tuple[float, Any]:
    page = context.pages[0] if context.pages else await context.new_page()
    began = time.perf_counter()
    if reload:
        await page.reload()
    else:
        await page.goto(url)
    await page.wait_for_function(COMPLETE, timeout=30_000)
    spent = (time.perf_counter() - began) * 1000
    return spent, await page.evaluate(API_TIMES)


async def measure_browser(base: str, province_id: int, username: str, runs: int,
                          shot: Path | None, server: ServerProcess) -> dict[str, Any]:
    url = f"{base}/console/#/cockpit/{province_id}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        state = await logged_in_state(browser, base, username)
        cold, api, cpu = [], [], []
        for _ in range(runs):
            context = await browser.new_context(storage_state=state,
                                                viewport={"width": 1366, "height": 768})
            used = server.cpu_seconds()
            spent, reads = await timed_load(context, url, reload=False)
            cpu.append((server.cpu_seconds() - used) * 1000)
            cold.append(spent)
            api.append(reads)
            await context.close()
        context = await browser.new_context(storage_state=state,
                                            viewport={"width": 1366, "height": 768})
        await timed_load(context, url, reload=False)
        warm = [(await timed_load(context, url, reload=True))[0] for _ in range(runs)]
        if shot is not None:
            await context.pages[0].screenshot(path=str(shot), full_page=True)
        await context.close()
        await browser.close()
    return {"cold": cold, "warm": warm, "api": api, "cpu": cpu}


def summary(spent: list[float]) -> str:
    ordered = sorted(spent)
    return f"p50 {statistics.median(ordered):7.1f}  max {ordered[-1]:7.1f}"


def api_summary(runs: list[list[list[Any]]]) -> str:
    by_name: dict[str, list[float]] = {}
    for reads in runs:
        for name, duration in reads:
            by_name.setdefault(name, []).append(duration)
    return "; ".join(f"{name.strip()} p50 {statistics.median(v):.0f} ms"
                     for name, v in sorted(by_name.items()))


async def bench(database: str, url: str, tasks: int, runs: int, data_dir: Path,
                shot: Path | None) -> list[str]:
    if database == "postgres":
        await fresh_database(url)
    began = time.perf_counter()
    tree = await load(url, tasks)
    loaded = time.perf_counter() - began
    await close_db()
    province = tree.first(1)
    env = {"TONGBAN_DATA_DIR": str(data_dir), "TONGBAN_DATABASE_URL": url,
           "TONGBAN_ARGON2_TIME_COST": "1", "TONGBAN_ARGON2_MEMORY_KIB": "1024"}
    server = start_server("tongban", "bench.tongban_server", env=env, log_dir=data_dir,
                          core=None, loop="auto")
    try:
        base = f"http://127.0.0.1:{server.port}"
        username = await supervisor(base, province.id)
        before = load_average()
        found = await measure_browser(base, province.id, username, runs, shot, server)
    finally:
        server.stop()
    verdict = "under" if statistics.median(found["cold"]) < TARGET_MS else "OVER"
    return [
        f"{database}: {tasks:,} tasks loaded in {loaded:.1f} s; load average before {before}, "
        f"after {load_average()} (cores: {os.cpu_count()})",
        f"  cockpit, cold cache  {summary(found['cold'])} ms   target < {TARGET_MS} ms "
        f"({verdict} at p50)",
        f"  cockpit, warm cache  {summary(found['warm'])} ms",
        f"  API reads (cold):    {api_summary(found['api'])}",
        f"  server CPU per cold load: {summary(found['cpu'])} ms (the part the load average "
        "cannot inflate much)",
    ]


def one(database: str, tasks: int, runs: int, pg_url: str, shot: Path | None) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-console-{database}-"))
    url = f"sqlite://{data_dir / 'tongban.sqlite3'}" if database == "sqlite" else pg_url
    try:
        print("\n".join(asyncio.run(bench(database, url, tasks, runs, data_dir, shot))))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    """Each database in a process of its own: tortoise caches SQL per model and dialect."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/bench_console")
    parser.add_argument("--screenshot", type=Path, help="write the loaded cockpit here (PNG)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.databases, args.tasks, args.runs, args.pg_url, args.screenshot)
        return
    print(f"Cockpit page load, a province with {args.tasks:,} tasks, {args.runs} runs each "
          "(headless Chromium, 1366×768)")
    for database in args.databases.split(","):
        command = [sys.executable, __file__, "--one", "--databases", database.strip(),
                   "--tasks", str(args.tasks), "--runs", str(args.runs), "--pg-url", args.pg_url]
        if args.screenshot:
            command += ["--screenshot", str(args.screenshot)]
        child = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                               check=False)
        if child.returncode:
            sys.exit(f"{database} failed:\n{child.stderr[-3000:]}")
        print(child.stdout.strip())


if __name__ == "__main__":
    main()
