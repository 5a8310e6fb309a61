"""The printed tables: each server per client count, then Tongban ÷ bare."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bench.phases import CaseResult, Options
from bench.recorder import PhaseStats

Column = tuple[str, int, Callable[[PhaseStats, CaseResult], str]]


def _f(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _pct(cpu: float, stats: PhaseStats) -> str:
    return f"{100 * cpu / stats.seconds:.0f}%" if stats.seconds else "-"


STEADY: list[Column] = [
    ("deliv/s", 9, lambda s, _r: _f(s.per_second, 0)),
    ("p50 ms", 7, lambda s, _r: _f(s.p(0.50), 2)),
    ("p99 ms", 7, lambda s, _r: _f(s.p(0.99), 2)),
    ("write p50", 9, lambda s, _r: _f(s.p(0.50, "write"), 2)),
    ("fan-out p99", 11, lambda s, _r: _f(s.p(0.99, "fanout"), 2)),
    ("srv CPU", 7, lambda s, _r: _pct(s.server_cpu_seconds, s)),
    ("µs/deliv", 8, lambda s, _r: _f(s.cpu_us_per_delivery, 2)),
    ("missed", 6, lambda s, _r: str(s.missed)),
    ("other", 5, lambda s, _r: _pct(s.other_cpu_seconds, s)),
    ("KiB/conn", 8, lambda _s, r: _f(r.rss_per_conn_kib)),
]
FLOOD: list[Column] = [
    ("deliv/s", 9, lambda s, _r: _f(s.per_second, 0)),
    ("events/s", 8, lambda s, _r: _f(s.events / s.seconds if s.seconds else 0, 0)),
    ("p50 ms", 7, lambda s, _r: _f(s.p(0.50), 2)),
    ("p99 ms", 7, lambda s, _r: _f(s.p(0.99), 2)),
    ("srv CPU", 7, lambda s, _r: _pct(s.server_cpu_seconds, s)),
    ("load CPU", 8, lambda s, _r: _pct(s.client_cpu_seconds, s)),
    ("µs/deliv", 8, lambda s, _r: _f(s.cpu_us_per_delivery, 2)),
    ("missed", 6, lambda s, _r: str(s.missed)),
    ("other", 5, lambda s, _r: _pct(s.other_cpu_seconds, s)),
]


def _row(label: str, cells: list[str], widths: list[int]) -> str:
    padded = (f" {cell:>{width}}" for cell, width in zip(cells, widths, strict=True))
    return f"  {label:<22}" + "".join(padded)


def _table(title: str, results: list[CaseResult], columns: list[Column],
           phase: Callable[[CaseResult], PhaseStats | None]) -> list[str]:
    widths = [width for _, width, _ in columns]
    lines = [title, _row("clients / server", [name for name, _, _ in columns], widths)]
    for clients in sorted({r.clients for r in results}):
        cases = [r for r in results if r.clients == clients]
        for case in cases:
            stats = phase(case)
            cells = [show(stats, case) for _, _, show in columns] if stats else ["-"] * len(widths)
            lines.append(_row(f"{clients:>5}  {case.server}", cells, widths))
        lines.append(_ratio_row(clients, cases, phase))
    return lines


def _ratio_row(clients: int, cases: list[CaseResult],
               phase: Callable[[CaseResult], PhaseStats | None]) -> str:
    ours = next((phase(c) for c in cases if c.server == "Tongban"), None)
    bare = next((phase(c) for c in cases if c.server != "Tongban"), None)
    if not ours or not bare or not bare.per_second or not bare.deliveries:
        return f"  {clients:>5}  Tongban ÷ bare: -"
    return (f"  {clients:>5}  Tongban ÷ bare: deliveries/s ×{ours.per_second / bare.per_second:.2f}"
            f", p50 ×{ours.p(0.5) / bare.p(0.5):.1f}, p99 ×{ours.p(0.99) / bare.p(0.99):.1f}"
            f", CPU per delivery ×{_safe(ours.cpu_us_per_delivery, bare.cpu_us_per_delivery)}")


def _safe(ours: float, bare: float) -> str:
    return f"{ours / bare:.1f}" if bare else "-"


def _flood_at(result: CaseResult, *, window: int) -> PhaseStats | None:
    return result.floods.get(window)


def _floods(results: list[CaseResult], options: Options) -> list[str]:
    lines: list[str] = []
    for window in options.windows if options.flood_seconds > 0 else []:
        lines += _table(f"Flood: {window} event(s) in flight, the next as soon as all clients have "
                        f"one, for {options.flood_seconds:g} s", results, FLOOD,
                        partial(_flood_at, window=window))
        lines.append("")
    return lines


def render(results: list[CaseResult], options: Options, loop: str, pinned: bool) -> str:
    where = "server pinned to one core, load on the other" if pinned else "not pinned"
    lines = [
        "", f"ws_fanout — N websocket clients on one audience ({loop} loop; {where})", "",
        *_table(f"Steady: {options.rate:g} events/s for {options.seconds:g} s "
                "(ms: latency = publish → receipt = write + fan-out)",
                results, STEADY, lambda r: r.steady),
        "",
        *_floods(results, options),
        "Connections:",
    ]
    for case in results:
        lines.append(f"  {case.clients:>5}  {case.server:<16} {case.connected} ready in "
                     f"{case.connect_seconds:.2f} s; closed by server during the run: "
                     f"{case.closed_codes or 'none'}" + "".join(f"; {n}" for n in case.notes))
    return "\n".join(lines)
