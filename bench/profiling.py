"""Optional: sample a server with py-spy during a phase (`ws_fanout.py --profile DIR`).

py-spy attaches to the running server from the load process's core and writes collapsed
stacks (one line per stack, "frame;frame;… count"), which `summarise` turns into the
functions that hold the most samples, inclusive of what they call.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


class Sampler:
    """A py-spy recording of one process, started and stopped around a phase."""

    def __init__(self, pid: int, out: Path, *, rate: int = 200) -> None:
        self.out = out
        beside = Path(sys.executable).with_name("py-spy")  # the venv's, even if not activated
        command = str(beside) if beside.exists() else shutil.which("py-spy")
        if command is None:
            raise RuntimeError("--profile needs py-spy: pip install py-spy")
        self.proc = subprocess.Popen(
            [command, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
             "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """py-spy writes its file when interrupted."""
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


ENTRY_FRAMES = ("<frozen runpy>", "asyncio/runners.py", "uvicorn/main.py", "uvicorn/server.py",
                "uvicorn/_compat.py", "bench/")
_LINE = re.compile(r":\d+\)$")


def _function(frame: str) -> str:
    return _LINE.sub(")", frame)


def _samples(collapsed: Path) -> Iterator[tuple[list[str], int]]:
    """(stack of functions, outermost first, line numbers merged; sample count) per line."""
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack and count_text.isdigit():  # py-spy now and then reads a frame name torn
            yield [_function(frame) for frame in stack.split(";")], int(count_text)


def summarise(collapsed: Path, top: int = 20) -> tuple[list[tuple[str, float]], ...]:
    """(inclusive, self) shares of samples per function, most first.

    Inclusive: the function is anywhere on the stack (what it and its callees cost). Self: it
    is the innermost frame. Start-up frames that sit under everything are left out.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in _samples(collapsed):
        own[frames[-1]] += count
        inclusive.update(dict.fromkeys(frames, count))
    total = max(1, sum(own.values()))
    for frame in [f for f in inclusive if any(entry in f for entry in ENTRY_FRAMES)]:
        del inclusive[frame]
    return tuple([(f, n / total) for f, n in c.most_common(top)] for c in (inclusive, own))
