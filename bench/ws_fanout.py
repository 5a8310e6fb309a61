"""Websocket fan-out: Tongban against a bare `websockets` broadcast server, same load, one run.

    python bench/ws_fanout.py [--clients 100,1000] [--rate 20] [--seconds 10]

For each client count N, each server is started in its own process (pinned to one core), N
subscribers connect from this process (pinned to the other core), events are published at a
steady rate and then as fast as the server delivers them, and the figures are printed side by
side with Tongban ÷ bare. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench.*` and the server importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loops import LOOPS, loop_in_use, run
from bench.phases import CaseResult, Options, run_case
from bench.profiling import summarise
from bench.report import render
from bench.servers import cores, stop_all
from bench.targets import BareTarget, Target, TongbanTarget


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", default="100,1000", help="comma-separated client counts")
    parser.add_argument("--rate", type=float, default=20, help="steady events per second")
    parser.add_argument("--seconds", type=float, default=10, help="length of the steady phase")
    parser.add_argument("--flood-seconds", type=float, default=4,
                        help="length of the flood phase (0 skips it)")
    parser.add_argument("--windows", default="1,4",
                        help="events in flight when flooding: one flood phase per value")
    parser.add_argument("--servers", default="tongban,bare", help="which servers to run")
    parser.add_argument("--loop", default="auto", choices=LOOPS, help="event loop, both sides")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record each server with py-spy during the widest flood into DIR")
    parser.add_argument("--deadline", type=float, default=170,
                        help="stop (printing what was measured) after this many seconds")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> Options:
    return Options(rate=args.rate, seconds=args.seconds, flood_seconds=args.flood_seconds,
                   windows=[int(w) for w in args.windows.split(",")], profile_dir=args.profile)


def raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, max(needed, soft)), hard))


def server_core(no_pin: bool) -> int | None:
    """Pin the server to the first core and this load process to another, given two."""
    available = cores()
    if no_pin or len(available) < 2:
        return None
    os.sched_setaffinity(0, set(available[1:]))
    return available[0]


def make_targets(names: str, core: int | None, loop: str) -> list[Target]:
    known: dict[str, type[TongbanTarget | BareTarget]] = {
        "tongban": TongbanTarget, "bare": BareTarget,
    }
    return [known[name.strip()](core=core, loop=loop) for name in names.split(",")]


async def run_all(targets: list[Target], counts: list[int], options: Options,
                  results: list[CaseResult]) -> None:
    for clients in counts:
        for target in targets:
            print(f"… {target.name}, {clients} clients", file=sys.stderr, flush=True)
            result = CaseResult(target.name, clients)
            results.append(result)  # printed even if the deadline cuts it short
            try:
                await run_case(target, result, options)
            except asyncio.CancelledError:
                result.notes.append("cut short by the deadline")
                raise
            except Exception as error:  # noqa: BLE001 — one failed case must not hide the others
                result.notes.append(f"failed: {error!r}")


async def main_async(args: argparse.Namespace, results: list[CaseResult]) -> None:
    counts = [int(n) for n in args.clients.split(",")]
    options = options_from(args)
    targets = make_targets(args.servers, server_core(args.no_pin), args.loop)
    try:
        async with asyncio.timeout(args.deadline) as scope:
            await run_all(targets, counts, options, results)
    except TimeoutError:
        if not scope.expired():
            raise
        print(f"deadline of {args.deadline:g} s reached: printing what was measured",
              file=sys.stderr)


def print_profiles(folder: Path) -> None:
    for path in sorted(folder.glob("*.txt")):
        for title, shares in zip(("callees included", "own time"), summarise(path), strict=True):
            print(f"\nWhere {path.stem} spent its time ({title}, share of samples):")
            for frame, share in shares:
                print(f"  {100 * share:5.1f}%  {frame[:110]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files(max(int(n) for n in args.clients.split(",")) * 2 + 256)
    results: list[CaseResult] = []
    try:
        run(main_async(args, results), args.loop)
    finally:
        stop_all()
    print(render(results, options_from(args), loop_in_use(args.loop), pinned=not args.no_pin))
    if args.profile:
        print_profiles(args.profile)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
