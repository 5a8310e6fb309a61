"""Runs the ```sh blocks of a guide in docs/ as a reader would paste them into a shell.

Only what the guides use is understood, and anything else fails loudly, so a guide cannot
drift into something a newcomer could not run: variables (`X=…`, `export X=…`, `$X`,
`${X}`), `X=$(command)`, `command | jq -r FILTER` (a path such as `.items[0].id` or
`.events[].kind`), `> file`, `echo`, `date -u -d '+N minutes' +FORMAT`, `curl` (`-s -S -f -X -H -d/--data/--data-binary
[@file] -F`) and `python3 -m tongban_client.device`. Every curl must get a 2xx answer (the
guides walk the happy path). A ```text block right after a ```sh block is what that block
prints, compared line by line.

curl calls go through an httpx client whose transport holds every answer to the OpenAPI
document (tests/contract.py), so the guides' calls are part of the contract test too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


@dataclass
class Block:
    kind: str
    text: str
    line: int


def blocks(markdown: str) -> list[Block]:
    return [Block(m.group(1), m.group(2), markdown.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(markdown)]


def words(line: str, env: dict[str, str]) -> list[str]:
    """Split a command line into words as a POSIX shell would, expanding $VAR and ${VAR}."""
    out: list[str] = []
    word, quote, started, i = "", "", False, 0
    while i < len(line):
        ch = line[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                word += ch
        elif ch == "\\" and i + 1 < len(line):
            i += 1
            word, started = word + line[i], True
        elif ch == "$" and i + 1 < len(line) and (line[i + 1] == "{" or line[i + 1].isalpha()):
            match = re.match(r"\$\{(\w+)\}|\$(\w+)", line[i:])
            assert match, line
            name = match.group(1) or match.group(2)
            assert name in env, f"${name} is not set"
            word, started = word + env[name], True
            i += len(match.group(0)) - 1
        elif quote == '"':
            if ch == '"':
                quote = ""
            else:
                word += ch
        elif ch in "'\"":
            quote, started = ch, True
        elif ch.isspace():
            if started or word:
                out.append(word)
            word, started = "", False
        else:
            word, started = word + ch, True
        i += 1
    assert not quote, f"unclosed quote in: {line}"
    if started or word:
        out.append(word)
    return out


def jq(document: Any, expression: str) -> list[Any]:
    """The values a jq path (`.a.b`, `.a[0]`, `.a[].b`) picks out of `document`."""
    values = [document]
    for name, index in re.findall(r"\.(\w+)|\[(\d*)\]", expression):
        step: list[Any] = []
        for value in values:
            if name:
                step.append(value.get(name) if isinstance(value, dict) else None)
            elif index == "":
                step.extend(value)
            else:
                step.append(value[int(index)])
        values = step
    return values


def gnu_date(args: list[str]) -> str:
    """`date -u -d '+N minutes|hours|days' +FORMAT`, as GNU date prints it."""
    assert args[0] == "-u" and args[1] == "-d" and args[3].startswith("+"), args
    amount, unit = re.fullmatch(r"\+(\d+) (minute|hour|day)s?", args[2]).groups()  # type: ignore[union-attr]
    moment = datetime.now(UTC) + timedelta(**{f"{unit}s": int(amount)})
    return moment.strftime(args[3][1:])


def raw(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


@dataclass
class Shell:
    """One reader's shell session: variables, a working folder and an HTTP client."""

    http: httpx.Client
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    fixed: set[str] = field(default_factory=set)  # set by the test: `export TB=…` keeps it
    calls: int = 0

    def run_block(self, text: str) -> list[str]:
        printed: list[str] = []
        for line in _lines(text):
            printed += self.run_line(line)
        return printed

    def run_line(self, line: str) -> list[str]:
        assign = re.match(r"^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$", line, re.S)
        if assign:
            name, value = assign.groups()
            if name in self.fixed:
                return []
            inner = re.match(r'^"?\$\((.*)\)"?$', value, re.S)
            if inner:
                self.env[name] = "\n".join(self.pipeline(inner.group(1))).strip()
            else:
                [self.env[name]] = words(value, self.env) or [""]
            return []
        return self.pipeline(line)

    def pipeline(self, line: str) -> list[str]:
        target = None
        redirect = re.match(r"^(.*?)\s+>\s*(\S+)$", line, re.S)
        if redirect:
            line, target = redirect.groups()
        stages = [stage.strip() for stage in _split_pipes(line)]
        output = self.command(words(stages[0], self.env))
        for stage in stages[1:]:
            output = self.filter(words(stage, self.env), output)
        if target is not None:
            (self.cwd / words(target, self.env)[0]).write_text(output, encoding="utf-8")
            return []
        return output.splitlines()

    def command(self, argv: list[str]) -> str:
        if argv[0] == "curl":
            return self.curl(argv[1:])
        if argv[0] == "echo":
            return " ".join(argv[1:]) + "\n"
        if argv[0] == "date":
            return gnu_date(argv[1:]) + "\n"
        if argv[:3] == ["python3", "-m", "tongban_client.device"]:
            done = subprocess.run([sys.executable, *argv[1:]], cwd=self.cwd, check=True,
                                  capture_output=True, text=True)
            return done.stdout
        raise AssertionError(f"a guide may not run {argv[0]!r}")

    def filter(self, argv: list[str], text: str) -> str:
        assert argv[:2] == ["jq", "-r"] and len(argv) == 3, f"unsupported filter: {argv}"
        return "".join(raw(value) + "\n" for value in jq(json.loads(text), argv[2]))

    def curl(self, args: list[str]) -> str:
        method, url, headers = "", "", {}
        content: bytes | None = None
        files: dict[str, tuple[str, bytes, str]] = {}
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in ("-s", "-S", "-sS", "-f", "-sf", "-fsS", "--silent", "--fail"):
                pass
            elif arg in ("-X", "--request"):
                i, method = i + 1, args[i + 1]
            elif arg in ("-H", "--header"):
                i += 1
                name, _, value = args[i].partition(":")
                headers[name.strip()] = value.strip()
            elif arg in ("-d", "--data", "--data-binary", "--data-raw"):
                i += 1
                content = self._data(args[i])
            elif arg in ("-F", "--form"):
                i += 1
                files.update(self._form(args[i]))
            elif arg.startswith("http"):
                url = arg
            else:
                raise AssertionError(f"curl option not understood by the guide test: {arg}")
            i += 1
        method = method or ("POST" if content is not None or files else "GET")
        if content is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        reply = self.http.request(method, url, headers=headers, content=content,
                                  files=files or None)
        self.calls += 1
        assert reply.is_success, f"{method} {url} → {reply.status_code}: {reply.text[:500]}"
        return reply.text

    def _data(self, value: str) -> bytes:
        if value.startswith("@"):
            return (self.cwd / value[1:]).read_bytes()
        return value.encode("utf-8")

    def _form(self, value: str) -> dict[str, tuple[str, bytes, str]]:
        name, _, spec = value.partition("=")
        assert spec.startswith("@"), "only file parts (-F name=@file) are used"
        path, *options = spec[1:].split(";")
        kind = next((o[5:] for o in options if o.startswith("type=")), "application/octet-stream")
        return {name: (Path(path).name, (self.cwd / path).read_bytes(), kind)}


def _lines(text: str) -> list[str]:
    """Logical lines: backslash continuations joined, quotes that span lines kept whole,
    comments and blank lines dropped."""
    lines, current, quote = [], "", ""
    text = re.sub(r"\\\n\s*", " ", text)
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "\n":
            lines.append(current)
            current = ""
            continue
        current += ch
    lines.append(current)
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _split_pipes(line: str) -> list[str]:
    parts, current, quote = [], "", ""
    for ch in line:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "|":
            parts.append(current)
            current = ""
            continue
        current += ch
    return [*parts, current]
