"""`tongban import-org FILE`: units, people and groups from one CSV or JSON file, all or nothing.

The whole file is read and checked before anything is written, and every problem is reported with
its place (`line 7: …` for CSV, `units[3].level: …` for JSON). Passwords are then hashed outside
the transaction (Argon2 is slow and SQLite has one writer for the whole process), and everything
is written in one `atomic()` block with bulk inserts and a single audit entry. The format is
described in docs/import-org.md.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError

from core.clock import utcnow
from core.config import Settings
from core.security import Passwords
from core.tx import Work, atomic
from directory.actions import notify_membership, notify_unit_changed
from directory.models import Group, GroupMember, Person, Position, Unit
from directory.policy import (
    LEVEL_LABELS,
    MAX_DEPTH,
    Level,
    Role,
    child_level_ok,
    parse_level,
    path_of,
)

USERNAME = re.compile(r"[a-z0-9_.\-]{2,64}")
REF = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
UNIT_ID = re.compile(r"#([0-9]{1,10})")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
MIN_PASSWORD = 8
LIMITS = {"name": 128, "display_name": 64, "title": 64}
CSV_COLUMNS = {
    "unit": ("ref", "name", "level", "parent"),
    "person": ("username", "display_name", "password", "unit", "title", "roles"),
    "group": ("name", "username"),
}
HEADER = ("type", "ref", "name", "level", "parent", "username", "display_name", "password",
          "unit", "title", "roles")
JSON_KEYS = {"": ("units", "people", "groups"), "units": CSV_COLUMNS["unit"],
             "people": ("username", "display_name", "password", "positions"),
             "positions": ("unit", "title", "roles"), "groups": ("name", "owner", "members")}
LABEL_LEVELS = {label: level for level, label in LEVEL_LABELS.items()}
CHUNK = 500  # rows per INSERT / IN (…): well under SQLite's and PostgreSQL's parameter limits
UnitRef = str | int  # a `ref` defined in the file, or the id of a unit already in the database


class ImportFailed(Exception):
    """The file cannot be imported; `errors` names every problem with its place in the file."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problem(s): " + "; ".join(errors[:3]))
        self.errors = errors


@dataclass(frozen=True)
class Loc:
    """Where an item stands: `line 7` (CSV) or `units[3]` (JSON, which names the field too)."""

    base: str
    order: tuple[int, ...] = ()  # (line,) or (section, index, …): problems are listed in this order
    dotted: bool = False

    def at(self, name: str = "") -> str:
        return f"{self.base}.{name}" if self.dotted and name else self.base


class Problems:
    """Problems found so far, each with its place; listed in file order however found."""

    def __init__(self) -> None:
        self._found: list[tuple[tuple[int, ...], str]] = []

    def __bool__(self) -> bool:
        return bool(self._found)

    def add(self, loc: Loc, name: str, message: str) -> None:
        self._found.append((loc.order, f"{loc.at(name)}: {message}"))

    def failure(self) -> ImportFailed:
        return ImportFailed([text for _, text in sorted(self._found, key=lambda item: item[0])])


@dataclass(eq=False)
class UnitPlan:
    ref: str
    name: str
    level: int  # 0 when the file's value was invalid (already reported)
    parent: UnitRef | None
    loc: Loc
    chain: int = 0  # depth within the file: 1 when the parent is outside it; -1 on a cycle
    anchor: int | None = None  # the existing unit this unit's branch hangs from


@dataclass(eq=False)
class PositionPlan:
    unit: UnitRef
    title: str
    roles: tuple[str, ...]
    loc: Loc


@dataclass(eq=False)
class PersonPlan:
    username: str
    display_name: str
    password: str | None
    positions: list[PositionPlan]
    loc: Loc
    is_admin: bool = False  # never read from a file: administrators come from `create-admin`


@dataclass(eq=False)
class GroupPlan:
    name: str
    owner: str
    members: list[str]  # usernames, the owner first
    loc: Loc


@dataclass
class OrgPlan:
    """What a file asks for, checked as far as possible without the database."""

    units: list[UnitPlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    groups: list[GroupPlan] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    units: int
    people: int
    groups: int
    seconds: float

    def __str__(self) -> str:
        people = "person" if self.people == 1 else "people"
        return (f"Imported {self.units} unit{'s' * (self.units != 1)}, {self.people} {people}, "
                f"{self.groups} group{'s' * (self.groups != 1)}.")


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- fields, shared by both formats (CSV cells are strings; JSON values may be anything) -------

def _text(raw: Mapping[str, Any], name: str, loc: Loc, errors: Problems, *,
          required: bool = True) -> str:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        errors.add(loc, name, f"{name} must be text, not {_show(value)}")
        return ""
    value = (value or "").strip()
    if required and not value:
        errors.add(loc, name, f"{name} is required")
    limit = LIMITS.get(name, 0)
    if limit and len(value) > limit:
        errors.add(loc, name, f"{name} has {len(value)} characters (at most {limit})")
    return value


def _ref(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> str:
    ref = _text(raw, "ref", loc, errors)
    if ref and not REF.fullmatch(ref):
        errors.add(loc, "ref", f"ref {_show(ref)} must be 1–64 of A–Z, a–z, 0–9, '_', '.', '-'")
    return ref


def _username(raw: Mapping[str, Any], name: str, loc: Loc, errors: Problems) -> str:
    value = _text(raw, name, loc, errors)
    if value and not USERNAME.fullmatch(value):
        errors.add(loc, name, f"{name} {_show(value)} must be 2–64 of a–z, 0–9, '_', '.', '-'")
    return value


def _password(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> str | None:
    value = _text(raw, "password", loc, errors, required=False)
    if value and len(value) < MIN_PASSWORD:
        errors.add(loc, "password", f"password is shorter than {MIN_PASSWORD} characters")
    return value or None


def _level(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> int:
    value = raw.get("level")
    level = LABEL_LEVELS.get(value.strip()) if isinstance(value, str) else None
    level = level or (parse_level(value) if isinstance(value, int | str) and value != "" else None)
    if level is None:
        shown = "is required" if value in (None, "") else f"{_show(value)} is not a level"
        errors.add(loc, "level", f"level {shown} (use 1–6, province … grid, or 省 … 网格)")
    return int(level or 0)


def _unit_ref(raw: Mapping[str, Any], name: str, loc: Loc, errors: Problems, *,
              required: bool) -> UnitRef | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            errors.add(loc, name, f"{name} is required")
        return None
    text = value.strip() if isinstance(value, str) else ""
    match = UNIT_ID.fullmatch(text)
    number = int(match.group(1)) if match else value
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number <= MAX_ID:
        return number
    if REF.fullmatch(text):
        return text
    errors.add(loc, name, f"{name} {_show(value)} is neither a ref nor a unit id like \"#12\"")
    return None


def _roles(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> tuple[str, ...]:
    value = raw.get("roles") or []
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        errors.add(loc, "roles", "roles must be a list of role names")
        return ()
    roles = {item.strip() for item in items if item.strip()}
    if unknown := sorted(roles - set(Role.ALL)):
        names = ", ".join(map(_show, unknown))
        errors.add(loc, "roles", f"unknown role {names} (use {', '.join(Role.ALL)})")
    return tuple(sorted(roles & set(Role.ALL)))


def _unit(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> UnitPlan:
    return UnitPlan(
        ref=_ref(raw, loc, errors), name=_text(raw, "name", loc, errors),
        level=_level(raw, loc, errors),
        parent=_unit_ref(raw, "parent", loc, errors, required=False), loc=loc,
    )


def _position(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> PositionPlan | None:
    unit = _unit_ref(raw, "unit", loc, errors, required=True)
    title = _text(raw, "title", loc, errors, required=False)
    roles = _roles(raw, loc, errors)
    return PositionPlan(unit, title, roles, loc) if unit is not None else None


def _person(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> PersonPlan:
    return PersonPlan(
        username=_username(raw, "username", loc, errors),
        display_name=_text(raw, "display_name", loc, errors),
        password=_password(raw, loc, errors), positions=[], loc=loc,
    )


# --- CSV ---------------------------------------------------------------------------------------

class _CsvPlan:
    """Rows become a plan; a person's later rows add positions, a group's later rows add members."""

    def __init__(self) -> None:
        self.plan = OrgPlan()
        self.people: dict[str, PersonPlan] = {}
        self.groups: dict[str, GroupPlan] = {}

    def add(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        kind = raw.get("type", "").lower()
        if kind not in CSV_COLUMNS:
            shown = "is required" if not kind else f"{_show(kind)} is not unit, person or group"
            errors.add(loc, "type", f"type {shown}")
            return
        stray = [name for name, value in raw.items()
                 if value and name != "type" and name not in CSV_COLUMNS[kind]]
        if stray:
            errors.add(loc, "", f"column {', '.join(stray)} does not apply to a {kind} row")
        getattr(self, f"_{kind}")(raw, loc, errors)

    def _unit(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        self.plan.units.append(_unit(raw, loc, errors))

    def _person(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        person = self.people.get(raw.get("username", ""))
        if person is None:
            person = _person(raw, loc, errors)
            self.people.setdefault(person.username, person)
            self.plan.people.append(person)
        else:
            for name in ("display_name", "password"):
                if raw.get(name) and raw[name] != getattr(person, name):
                    errors.add(loc, name, f"{name} differs from {person.loc.base}")
        if position := _position(raw, loc, errors):
            person.positions.append(position)

    def _group(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        name = _text(raw, "name", loc, errors)
        member = _username(raw, "username", loc, errors)
        group = self.groups.get(name)
        if group is None:  # the group's first row names its owner
            group = self.groups[name] = GroupPlan(name, member, [], loc)
            self.plan.groups.append(group)
        if member and member not in group.members:
            group.members.append(member)


def _parse_csv(text: str, errors: Problems) -> OrgPlan:
    reader = csv.reader(io.StringIO(text))
    rows = _CsvPlan()
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        if not _header_ok(header, errors):
            return rows.plan
        for cells in reader:
            line = reader.line_num
            _csv_row(rows, header, cells, Loc(f"line {line}", (line,)), errors)
    except csv.Error as exc:
        errors.add(Loc(f"line {reader.line_num}", (reader.line_num,)), "", f"not valid CSV: {exc}")
    return rows.plan


def _header_ok(header: list[str], errors: Problems) -> bool:
    first = Loc("line 1", (1,))
    for name in sorted({n for n in header if n not in HEADER or header.count(n) > 1}):
        problem = "appears twice" if name in HEADER else f"is unknown (use {', '.join(HEADER)})"
        errors.add(first, "", f"column {_show(name)} {problem}")
    if "type" not in header:
        errors.add(first, "", "the header row must name the columns, starting with type")
    return not errors


def _csv_row(rows: _CsvPlan, header: list[str], cells: list[str], loc: Loc,
             errors: Problems) -> None:
    if not any(cell.strip() for cell in cells):
        return
    if len(cells) > len(header):
        errors.add(loc, "", f"the row has {len(cells)} cells but the header only {len(header)}")
        return
    rows.add({name: cell.strip() for name, cell in zip(header, cells, strict=False)}, loc, errors)


# --- JSON --------------------------------------------------------------------------------------

def _parse_json(text: str, errors: Problems) -> OrgPlan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.add(Loc(f"line {exc.lineno}, column {exc.colno}"), "", f"not valid JSON: {exc.msg}")
        return OrgPlan()
    plan = OrgPlan()
    if not _object_ok(data, "", Loc("file"), errors):
        return plan
    plan.units = [_unit(raw, loc, errors) for raw, loc in _items(data, "units", Loc(""), errors)]
    plan.people = [_json_person(raw, loc, errors)
                   for raw, loc in _items(data, "people", Loc(""), errors)]
    plan.groups = [_json_group(raw, loc, errors)
                   for raw, loc in _items(data, "groups", Loc(""), errors)]
    return plan


def _object_ok(value: object, kind: str, loc: Loc, errors: Problems) -> bool:
    if not isinstance(value, dict):
        errors.add(loc, "", f"expected an object with {', '.join(JSON_KEYS[kind])}")
        return False
    for key in value.keys() - set(JSON_KEYS[kind]):
        errors.add(loc, "", f"unknown field {_show(key)} (use {', '.join(JSON_KEYS[kind])})")
    return True


def _items(data: dict[str, Any], key: str, parent: Loc,
           errors: Problems) -> Iterator[tuple[dict[str, Any], Loc]]:
    """The objects listed under `key`, each with its place (`people[3].positions[0]`)."""
    items = data.get(key, [])
    base = f"{parent.base}.{key}" if parent.base else key
    order = parent.order or (JSON_KEYS[""].index(key),)
    if not isinstance(items, list):
        errors.add(Loc(base, order), "", "must be a list")
        return
    for index, raw in enumerate(items):
        loc = Loc(f"{base}[{index}]", (*order, index), dotted=True)
        if _object_ok(raw, key, loc, errors):
            yield raw, loc


def _json_person(raw: dict[str, Any], loc: Loc, errors: Problems) -> PersonPlan:
    person = _person(raw, loc, errors)
    for item, where in _items(raw, "positions", loc, errors):
        if position := _position(item, where, errors):
            person.positions.append(position)
    if not raw.get("positions"):
        errors.add(loc, "positions", "a person needs at least one position")
    return person


def _json_group(raw: dict[str, Any], loc: Loc, errors: Problems) -> GroupPlan:
    owner = _username(raw, "owner", loc, errors)
    members = raw.get("members", [])
    if not isinstance(members, list):
        errors.add(loc, "members", "members must be a list of usernames")
        members = []
    for index, member in enumerate(members):
        where = Loc(f"{loc.base}.members[{index}]", loc.order)
        _username({"members": member}, "members", where, errors)
    names = [owner] + [m for m in members if isinstance(m, str)]
    return GroupPlan(_text(raw, "name", loc, errors), owner, list(dict.fromkeys(names)), loc)


# --- checks that need no database --------------------------------------------------------------

def _check_plan(plan: OrgPlan, errors: Problems) -> None:
    units = _unique(plan.units, "ref", errors)
    _place_units(units, errors)
    for unit in units.values():
        _check_parent(unit, units, errors)
    for person in _unique(plan.people, "username", errors).values():
        _check_positions(person, units, errors)
    _unique(plan.groups, "name", errors)


def _unique(items: list[Any], key: str, errors: Problems) -> dict[str, Any]:
    first: dict[str, Any] = {}
    for item in items:
        value = getattr(item, key)
        if value and first.setdefault(value, item) is not item:
            at = first[value].loc.base
            errors.add(item.loc, key, f"{key} {_show(value)} is already used at {at}")
    return first


def _place_units(units: dict[str, UnitPlan], errors: Problems) -> None:
    """Set each unit's depth within the file (`chain`) and the existing unit it hangs from."""
    for unit in units.values():
        unit.chain, unit.anchor = 0, None
    for start in units.values():
        trail: list[UnitPlan] = []
        seen: set[UnitPlan] = set()  # plans hash by identity (eq=False)
        node: UnitPlan | None = start
        while node is not None and node.chain == 0 and node not in seen:
            trail.append(node)
            seen.add(node)
            node = units.get(node.parent) if isinstance(node.parent, str) else None
        if node is not None and node in seen:
            loop = " → ".join(unit.ref for unit in [*trail[trail.index(node):], node])
            errors.add(node.loc, "parent", f"parents go round in a loop: {loop}")
        _set_chain(trail, node)


def _set_chain(trail: list[UnitPlan], top: UnitPlan | None) -> None:
    """Number `trail` (child first) downwards from `top`, the placed unit or loop above it."""
    if top is not None:
        base, anchor = (-1 if top in trail else top.chain), top.anchor
    else:
        parent = trail[-1].parent if trail else None
        base, anchor = 0, parent if isinstance(parent, int) else None
    for offset, unit in enumerate(reversed(trail), start=1):
        unit.chain, unit.anchor = (-1 if base < 0 else base + offset), anchor


def _check_parent(unit: UnitPlan, units: dict[str, UnitPlan], errors: Problems) -> None:
    parent = units.get(unit.parent) if isinstance(unit.parent, str) else None
    if isinstance(unit.parent, str) and parent is None:
        errors.add(unit.loc, "parent", f"parent {_show(unit.parent)} is not defined")
    if parent is not None:
        _check_level(unit, parent.level, errors)
    if unit.anchor is None:
        _check_depth(unit, unit.chain, errors)


def _check_level(unit: UnitPlan, parent_level: int, errors: Problems) -> None:
    if unit.level and parent_level and not child_level_ok(parent_level, unit.level):
        errors.add(unit.loc, "level", f"level {_level_name(unit.level)} is above its parent's "
                                      f"level {_level_name(parent_level)}")


def _check_depth(unit: UnitPlan, depth: int, errors: Problems) -> None:
    if depth == MAX_DEPTH + 1:  # reported once, where a branch first goes too deep
        errors.add(unit.loc, "parent", f"units may nest at most {MAX_DEPTH} deep")


def _level_name(level: int) -> str:
    return f"{Level(level).name.lower()} ({LEVEL_LABELS[level]})"


def _check_positions(person: PersonPlan, units: dict[str, UnitPlan], errors: Problems) -> None:
    held: set[tuple[UnitRef, str]] = set()
    for position in person.positions:
        if isinstance(position.unit, str) and position.unit not in units:
            errors.add(position.loc, "unit", f"unit {_show(position.unit)} is not defined")
        if (position.unit, position.title) in held:
            errors.add(position.loc, "title", f"{person.username} already holds the title "
                                              f"{_show(position.title)} in this unit")
        held.add((position.unit, position.title))


# --- checks against the database (reads only) --------------------------------------------------

async def _check_db(plan: OrgPlan, errors: Problems) -> dict[int, Unit]:
    """Problems only the database reveals; returns the existing units the plan refers to."""
    existing = await _existing_units(plan)
    for unit in plan.units:
        _check_anchor(unit, existing, errors)
    for person in plan.people:
        for position in person.positions:
            if isinstance(position.unit, int) and position.unit not in existing:
                errors.add(position.loc, "unit", f"unit #{position.unit} does not exist")
    await _check_usernames(plan, errors)
    return existing


async def _existing_units(plan: OrgPlan) -> dict[int, Unit]:
    ids = {unit.parent for unit in plan.units if isinstance(unit.parent, int)}
    ids |= {p.unit for person in plan.people for p in person.positions if isinstance(p.unit, int)}
    found: dict[int, Unit] = {}
    for chunk in _chunks(sorted(ids)):
        found.update((unit.id, unit) for unit in await Unit.filter(id__in=chunk))
    return found


def _check_anchor(unit: UnitPlan, existing: dict[int, Unit], errors: Problems) -> None:
    if isinstance(unit.parent, int):
        if unit.parent not in existing:
            errors.add(unit.loc, "parent", f"parent #{unit.parent} is not an existing unit")
            return
        _check_level(unit, existing[unit.parent].level, errors)
    if unit.anchor in existing:
        _check_depth(unit, existing[unit.anchor].depth + unit.chain, errors)


async def _check_usernames(plan: OrgPlan, errors: Problems) -> None:
    mine = {person.username for person in plan.people}
    taken = await _person_ids(mine)
    for person in plan.people:
        if person.username in taken:
            errors.add(person.loc, "username",
                       f"username {_show(person.username)} already exists in the database")
    others = {name for group in plan.groups for name in group.members} - mine
    found = await _person_ids(others, active=True)
    for group in plan.groups:
        for name in [m for m in group.members if m and m not in mine and m not in found]:
            errors.add(group.loc, "owner" if name == group.owner else "members",
                       f"{_show(name)} is neither in the file nor an active person in the database")


async def _person_ids(usernames: Iterable[str], **filters: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(usernames))):
        rows = await Person.filter(username__in=chunk, **filters).values_list("username", "id")
        found.update((str(name), int(pid)) for name, pid in rows)
    return found


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# --- writing -----------------------------------------------------------------------------------

async def hash_passwords(passwords: Passwords, plain: Iterable[str]) -> dict[str, str]:
    """One Argon2 hash per distinct password, on every core, outside any transaction.

    Identical passwords in one import (a shared initial password, or the demo's) share one hash:
    that shows nothing the file did not already say, and saves a second of CPU per person.
    """
    distinct = sorted(set(plain))
    if not distinct:
        return {}
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=min(len(distinct), os.cpu_count() or 1))
    try:
        hashed = await asyncio.gather(
            *(loop.run_in_executor(pool, passwords.hash, password) for password in distinct)
        )
    finally:  # if cancelled, drop the queued hashes rather than wait minutes for them
        pool.shutdown(wait=False, cancel_futures=True)
    return dict(zip(distinct, hashed, strict=True))


async def _write(plan: OrgPlan, hashes: dict[str, str], existing: dict[int, Unit],
                 source: str) -> None:
    async with atomic() as work:
        placed = await _insert_units(plan.units, existing)
        ids = await _insert_people(plan.people, hashes)
        await Position.bulk_create(_positions(plan.people, ids, placed), batch_size=CHUNK)
        outsiders = await _person_ids({m for g in plan.groups for m in g.members} - ids.keys())
        groups = await _insert_groups(plan.groups, ids | outsiders)
        work.audit("org.import", "org", "import", units=len(plan.units),
                   people=len(plan.people), groups=len(plan.groups), source=source)
        _notify_units(work, plan, placed, existing)
        _notify_groups(work, groups, outsiders)


async def _insert_units(units: list[UnitPlan], existing: dict[int, Unit]) -> dict[str, Unit]:
    """Insert parents before children, one bulk INSERT per layer of the file's tree.

    tortoise's bulk_create gives back no ids, and a unit's path needs its own id: so each row is
    inserted with a unique temporary path, found again by it, and then given its real path.
    """
    placed: dict[str, Unit] = {}
    marker = f"?import-{secrets.token_hex(8)}/"
    for chain, layer in groupby(sorted(units, key=lambda u: u.chain), key=lambda u: u.chain):
        batch = [(unit, _parent(unit, placed, existing)) for unit in layer]
        rows = [Unit(name=unit.name, level=unit.level, parent_id=parent.id if parent else None,
                     depth=parent.depth + 1 if parent else 1, path=f"{marker}{chain}/{index}")
                for index, (unit, parent) in enumerate(batch)]
        await Unit.bulk_create(rows, batch_size=CHUNK)
        found = await Unit.filter(path__startswith=f"{marker}{chain}/").values_list("path", "id")
        ids = {str(path): int(pk) for path, pk in found}
        for (unit, parent), row in zip(batch, rows, strict=True):
            row.id = ids[row.path]
            row.path = path_of(parent.path if parent else "/", row.id)
            placed[unit.ref] = row
    await Unit.bulk_update(list(placed.values()), fields=["path"], batch_size=CHUNK)
    return placed


def _parent(unit: UnitPlan, placed: dict[str, Unit], existing: dict[int, Unit]) -> Unit | None:
    if unit.parent is None:
        return None
    return placed[unit.parent] if isinstance(unit.parent, str) else existing[unit.parent]


async def _insert_people(people: list[PersonPlan], hashes: dict[str, str]) -> dict[str, int]:
    rows = [Person(username=p.username, display_name=p.display_name,
                   password_hash=hashes[p.password or ""], is_admin=p.is_admin) for p in people]
    await Person.bulk_create(rows, batch_size=CHUNK)
    return await _person_ids(person.username for person in people)


def _positions(people: list[PersonPlan], ids: dict[str, int],
               placed: dict[str, Unit]) -> list[Position]:
    return [
        Position(person_id=ids[person.username], title=position.title,
                 unit_id=placed[position.unit].id if isinstance(position.unit, str)
                 else position.unit, roles=list(position.roles), is_primary=index == 0)
        for person in people for index, position in enumerate(person.positions)
    ]


async def _insert_groups(groups: list[GroupPlan],
                         ids: dict[str, int]) -> list[tuple[int, GroupPlan]]:
    made: list[tuple[int, GroupPlan]] = []
    members: list[GroupMember] = []
    for plan in groups:  # few groups, many members: members go in bulk
        group = await Group.create(name=plan.name, owner_id=ids[plan.owner])
        members += [GroupMember(group_id=group.id, person_id=ids[name]) for name in plan.members]
        made.append((group.id, plan))
    await GroupMember.bulk_create(members, batch_size=CHUNK)
    return made


def _notify_units(work: Work, plan: OrgPlan, placed: dict[str, Unit],
                  existing: dict[int, Unit]) -> None:
    """Existing units that gained children or people hear of it once; new units have no one."""
    children: dict[int, list[int]] = {}
    for unit in plan.units:
        if isinstance(unit.parent, int):
            children.setdefault(unit.parent, []).append(placed[unit.ref].id)
    joined = Counter(p.unit for person in plan.people for p in person.positions
                     if isinstance(p.unit, int))
    for unit_id in sorted(children.keys() | joined.keys()):
        notify_unit_changed(work, existing[unit_id], change="imported",
                            child_ids=children.get(unit_id, []), people_added=joined[unit_id])


def _notify_groups(work: Work, groups: list[tuple[int, GroupPlan]],
                   outsiders: dict[str, int]) -> None:
    """People already in the database who were put in a group: their gateway re-reads audiences."""
    for group_id, group in groups:
        for name in group.members:
            if name in outsiders:
                notify_membership(work, outsiders[name], group_id=group_id, change="joined")


# --- entry points ------------------------------------------------------------------------------

def parse_org(text: str, *, fmt: str) -> OrgPlan:
    """Read an org file's text (`fmt` "csv" or "json") and check all it can without a database.

    Raises ImportFailed listing every problem found.
    """
    errors = Problems()
    plan = _parse(text, fmt, errors)
    if errors:
        raise errors.failure()
    return plan


def _parse(text: str, fmt: str, errors: Problems) -> OrgPlan:
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown org file format {fmt!r}: use csv or json")
    text = text.removeprefix("\ufeff")
    plan = _parse_csv(text, errors) if fmt == "csv" else _parse_json(text, errors)
    if not errors and not (plan.units or plan.people or plan.groups):
        errors.add(Loc("file"), "", "it defines no units, people or groups")
    _check_plan(plan, errors)
    return plan


async def do_import_org(plan: OrgPlan, *, passwords: Passwords, source: str = "") -> ImportSummary:
    """Write a plan in one transaction, all or nothing, with one `org.import` audit entry.

    The plan is checked again, this time against the database too (taken usernames, missing
    units), and ImportFailed lists every problem. Every person needs a password by now (see
    `assign_passwords`). Emits `org.unit.changed` to existing units that gained children or
    people, and `org.membership.changed` to existing people added to a group.
    """
    started = time.perf_counter()
    errors = Problems()
    _check_plan(plan, errors)
    existing = await _check_db(plan, errors)
    for person in plan.people:
        if not person.password:
            errors.add(person.loc, "password", "password is required")
    if errors:
        raise errors.failure()
    hashes = await hash_passwords(passwords, (person.password or "" for person in plan.people))
    try:
        await _write(plan, hashes, existing, source)
    except IntegrityError as exc:  # someone took a username or removed a unit meanwhile
        problem = f"the database changed during the import ({exc}); nothing was imported"
        raise ImportFailed([f"{problem}, please run it again"]) from exc
    seconds = time.perf_counter() - started
    return ImportSummary(len(plan.units), len(plan.people), len(plan.groups), seconds)


def assign_passwords(plan: OrgPlan) -> dict[str, str]:
    """Give each person without a password a random one; returns them by username."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I
    generated: dict[str, str] = {}
    for person in plan.people:
        if not person.password:
            person.password = "".join(secrets.choice(alphabet) for _ in range(12))
            generated[person.username] = person.password
    return generated


async def import_org_file(path: str, *, settings: Settings) -> str:
    """Check and import an org file (CSV or JSON), all or nothing; returns the summary line.

    Raises ImportFailed listing every problem, and then writes nothing. People given no password
    get a generated one, listed in a file under the data folder that only this account can read.
    """
    text = _read(path)
    errors = Problems()
    plan = _parse(text, _format_of(path, text), errors)
    await _check_db(plan, errors)
    if errors:
        raise errors.failure()
    generated = assign_passwords(plan)
    sheet = _write_sheet(settings.data_dir, generated) if generated else None
    passwords = Passwords(time_cost=settings.argon2_time_cost,
                          memory_kib=settings.argon2_memory_kib)
    try:
        summary = await do_import_org(plan, passwords=passwords, source=Path(path).name)
    except BaseException:
        if sheet is not None:
            sheet.unlink(missing_ok=True)
        raise
    if sheet is None:
        return str(summary)
    return (f"{summary} {len(generated)} of them had no password: generated ones are in {sheet} "
            "(readable only by you; hand them out, then delete the file).")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFailed([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc
    except UnicodeDecodeError as exc:  # Excel's plain "CSV" is GBK in China
        hint = "save the file as UTF-8 (in Excel: “CSV UTF-8”)"
        raise ImportFailed([f"{path}: byte {exc.start} is not UTF-8; {hint}"]) from exc


def _format_of(path: str, text: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".json"):
        return suffix[1:]
    return "json" if text.lstrip().startswith(("{", "[")) else "csv"


def _write_sheet(data_dir: Path, generated: dict[str, str]) -> Path:
    """Write generated passwords (mode 0600) before the import, so none can be lost after it."""
    folder = data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"passwords-{utcnow():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "password"])
        writer.writerows(sorted(generated.items()))
    return path
