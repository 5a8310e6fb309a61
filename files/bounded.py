"""Parsing untrusted files within bounds, for every package that reads inside an upload.

A 347 KiB .docx can inflate to 100 MiB and a 50 KiB PDF can keep a parser busy for a minute:
whoever may upload may send one. Three defences, to be used together:

- `check_zip(path)` — before anything opens an archive (.docx/.xlsx/.pptx/.odt are zips): the
  entry count and central directory from the end record, then every member inflated *while
  counting*, whatever sizes the archive declares, so a parser with its own zip reader (not only
  Python's, which trusts the declared sizes) is covered too. Stops at the first limit passed.
- `check_image(path)` — before decoding an image: width × height from its header (Pillow,
  imported when first needed; the pixels are not decoded).
- `run_bounded(func, *args)` — the parse itself in a worker process with an address-space limit
  and a time budget: a parse that overruns either is killed, never the server. `func` must be a
  module-level function (it is sent by name) and its result picklable.

Each refusal is a `ParseRefused`: a 422 problem (`file-over-limit`) naming the limit, e.g.
"inflates to more than 64 MiB (max_inflated_bytes)". Limits default to `DEFAULT_LIMITS`, which
the app sets from `TONGBAN_PARSE_*` settings (`set_default_limits`).
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from core.errors import Unprocessable, field_error

T = TypeVar("T")
MiB = 1024 * 1024
BLOCK = 256 * 1024
END_RECORD = b"PK\x05\x06"
LOCAL_HEADER = b"PK\x03\x04"
STARTUP_SECONDS = 120  # a fresh interpreter importing a parser, on a loaded machine


@dataclass(frozen=True)
class Limits:
    max_entries: int = 2_000  # members of one archive
    max_inflated_bytes: int = 64 * MiB  # all members of one archive, inflated
    max_ratio: int = 100  # inflated ÷ compressed, checked once a member passes 1 MiB
    max_pixels: int = 50_000_000  # width × height of an image (≈ 7,000 × 7,000)
    max_seconds: float = 10.0  # wall time of one parse in the worker
    max_memory_bytes: int = 1024 * MiB  # address space of the worker process


DEFAULT_LIMITS = Limits()


def set_default_limits(limits: Limits) -> None:
    global DEFAULT_LIMITS
    DEFAULT_LIMITS = limits


class ParseRefused(Unprocessable):
    """A file refused because reading it would pass a limit (422, `file-over-limit`)."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(f"{detail} ({limit}): refused as a possible bomb.", slug="file-over-limit",
                         errors=[field_error(["file"], detail, limit)])
        self.limit = limit


def _mib(size: int) -> str:
    return f"{size / MiB:g} MiB"


def check_zip(path: Path, limits: Limits | None = None) -> None:
    """Refuse an archive whose entries or inflated size pass the limits; a file that is not a
    zip at all is left to its parser."""
    limits = limits or DEFAULT_LIMITS
    with open(path, "rb") as handle:
        if not _directory_fits(handle, limits):
            raise ParseRefused("max_entries", f"The archive has more than {limits.max_entries} "
                                              "entries")
        try:
            members = zipfile.ZipFile(handle).infolist()
        except zipfile.BadZipFile:
            return
        if len(members) > limits.max_entries:
            raise ParseRefused("max_entries", f"The archive has more than {limits.max_entries} "
                                              "entries")
        budget = limits.max_inflated_bytes
        for member in members:
            budget -= _inflate_counting(handle, member, budget, limits)


def _directory_fits(handle: BinaryIO, limits: Limits) -> bool:
    """From the end record alone (before ZipFile reads every entry into memory): the declared
    entry count and the central directory's size."""
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(max(0, size - 65_557))
    tail = handle.read()
    at = tail.rfind(END_RECORD)
    if at < 0 or len(tail) < at + 22:
        return True  # not a zip, or zip64: ZipFile's own count below
    entries, directory_size = struct.unpack("<xxxxxxxxxxHI", tail[at:at + 16])
    return entries <= limits.max_entries and directory_size <= limits.max_entries * 1024


def _inflate_counting(handle: BinaryIO, member: zipfile.ZipInfo, budget: int,
                      limits: Limits) -> int:
    """Inflate one member in blocks, counting; its size, or ParseRefused past a limit."""
    handle.seek(member.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != LOCAL_HEADER:
        return 0  # damaged: the parser will say so
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(member.header_offset + 30 + name_length + extra_length)
    ratio_cap = max(MiB, limits.max_ratio * member.compress_size)
    inflate = _inflater(member.compress_type)
    left, total = member.compress_size, 0
    while left > 0:
        block = handle.read(min(BLOCK, left))
        if not block:
            break
        left -= len(block)
        total += inflate(block, min(budget, ratio_cap) - total + 1)
        _within(member, total, budget, ratio_cap, limits)
    return total


def _inflater(method: int) -> Callable[[bytes, int], int]:
    """A function inflating the next block and returning how many bytes came out (at most a
    little past `cap`, so a bomb is never held in memory)."""
    if method == zipfile.ZIP_STORED:
        return lambda block, cap: len(block)
    if method != zipfile.ZIP_DEFLATED:
        return lambda block, cap: len(block)  # bzip2/lzma: counted as stored (not in Office files)
    state = zlib.decompressobj(-15)

    def inflate(block: bytes, cap: int) -> int:
        out = len(state.decompress(block, MiB))
        while state.unconsumed_tail and out <= cap:
            out += len(state.decompress(state.unconsumed_tail, MiB))
        return out

    return inflate


def _within(member: zipfile.ZipInfo, total: int, budget: int, ratio_cap: int,
            limits: Limits) -> None:
    if total > budget:
        raise ParseRefused("max_inflated_bytes",
                           f"The archive inflates to more than {_mib(limits.max_inflated_bytes)}")
    if total > ratio_cap:
        raise ParseRefused("max_ratio", f"{member.filename} inflates more than "
                                        f"{limits.max_ratio} times")


def check_image(path: Path, limits: Limits | None = None) -> None:
    """Refuse an image with more pixels than allowed, from its header (Pillow, lazily)."""
    from PIL import Image

    limits = limits or DEFAULT_LIMITS
    try:
        with Image.open(path) as image:
            width, height = image.size
    except Image.DecompressionBombError as exc:  # Pillow's own, far larger, ceiling
        raise ParseRefused("max_pixels", f"The image has too many pixels: {exc}") from exc
    if width * height > limits.max_pixels:
        raise ParseRefused("max_pixels", f"The image has {width} × {height} pixels, more than "
                                         f"{limits.max_pixels}")


class ParseFailed(ValueError):
    """The parser's own error in the worker (a damaged file), by name and message."""


class ParserLimit(Exception):
    """Raised by a parser in the worker when a limit of its own trips (e.g. pypdf's
    LimitReachedError): it becomes a ParseRefused in the caller."""

    def __init__(self, limit: str, detail: str) -> None:
        super().__init__(limit, detail)
        self.limit, self.detail = limit, detail


def run_bounded(func: Callable[..., T], *args: Any, limits: Limits | None = None) -> T:
    """`func(*args)` in the worker process, within the memory and time limits. Blocking, and
    parses take turns: from async code use `parse_bounded`."""
    return _worker.call(func, args, limits or DEFAULT_LIMITS)


async def parse_bounded(func: Callable[..., T], *args: Any, limits: Limits | None = None) -> T:
    """`run_bounded` for the event loop: callers queue here, not in the thread pool (which the
    password hashing of logins shares)."""
    async with _turns():
        return await asyncio.to_thread(run_bounded, func, *args, limits=limits)


_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def _turns() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    if loop not in _locks:
        _locks.clear()  # one loop per process in a server; tests may make new ones
        _locks[loop] = asyncio.Lock()
    return _locks[loop]


class _Worker:
    """One child process per server process, started on first use and restarted after it was
    killed. Calls take turns (the lock): a parse is CPU-bound anyway, on few cores."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self._memory = 0
        self._loaded: set[str] = set()

    def call(self, func: Callable[..., T], args: tuple[Any, ...], limits: Limits) -> T:
        with self._lock:
            conn = self._connection(limits.max_memory_bytes)
            self._load(conn, func.__module__)
            conn.send(("call", func, args))
            if not conn.poll(limits.max_seconds):
                self.stop()
                raise ParseRefused("max_seconds", "Reading the file took longer than "
                                                  f"{limits.max_seconds:g} s")
            try:
                outcome = conn.recv()
            except EOFError:  # the child died: out of memory in C code, most likely
                self.stop()
                outcome = ("memory",)
        return _result(outcome, limits)

    def _load(self, conn: Connection, module: str) -> None:
        """Import the parser's module first, so that the time budget is the parse's alone."""
        if module in self._loaded:
            return
        conn.send(("load", module))
        if not conn.poll(STARTUP_SECONDS):
            self.stop()
            raise ParseFailed("the parsing worker did not start")
        _result(conn.recv(), DEFAULT_LIMITS)
        self._loaded.add(module)

    def _connection(self, memory: int) -> Connection:
        if self._process is None or not self._process.is_alive() or memory != self._memory:
            self.stop()
            # spawn, not fork: the server has threads (the database driver's), and a fresh
            # interpreter holds nothing of the server's memory
            context = multiprocessing.get_context("spawn")
            self._conn, theirs = context.Pipe()
            self._process = context.Process(target=_serve, args=(theirs, memory), daemon=True,
                                            name="tongban-parser")
            self._process.start()
            theirs.close()
            self._memory, self._loaded = memory, set()
        assert self._conn is not None
        return self._conn

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _result(outcome: tuple[Any, ...], limits: Limits) -> Any:
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "memory":
        raise ParseRefused("max_memory_bytes", "Reading the file needs more than "
                                               f"{_mib(limits.max_memory_bytes)} of memory")
    if kind == "limit":
        raise ParseRefused(outcome[1], outcome[2])
    raise ParseFailed(outcome[1])


_worker = _Worker()


def stop_worker() -> None:
    """End the worker process (at shutdown); the next parse starts a new one."""
    with _worker._lock:
        _worker.stop()


def _serve(conn: Connection, memory: int) -> None:
    """The worker's loop: limit this process's address space, then run what comes. Replies are
    plain tuples: the parser's exceptions need not pickle."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        try:
            if message[0] == "load":
                conn.send(("ok", importlib.import_module(message[1]) and None))
                continue
            _, func, args = message
            conn.send(("ok", func(*args)))
        except MemoryError:  # no memory left even to answer: dying says it (EOF to the caller)
            os._exit(3)
        except ParserLimit as limit:
            conn.send(("limit", limit.limit, limit.detail))
        except Exception as exc:  # the parser's own failure, for the caller to judge
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:1000]))
