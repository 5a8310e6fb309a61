"""Fields of units, people and positions, read the same way from CSV cells and JSON values.

CSV cells are always strings; JSON values may be anything, so each reader checks the type too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from directory.importing.plan import Loc, PersonPlan, PositionPlan, Problems, UnitPlan, UnitRef
from directory.policy import LEVEL_LABELS, Role, parse_level

USERNAME = re.compile(r"[a-z0-9_.\-]{2,64}")
REF = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
UNIT_ID = re.compile(r"#([0-9]{1,10})")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
MIN_PASSWORD = 8
LIMITS = {"name": 128, "display_name": 64, "title": 64}
UNIT_FIELDS = ("ref", "name", "level", "parent", "desk")
LABEL_LEVELS = {label: level for level, label in LEVEL_LABELS.items()}


def show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def read_text(raw: Mapping[str, Any], name: str, loc: Loc, errors: Problems, *,
              required: bool = True) -> str:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        errors.add(loc, name, f"{name} must be text, not {show(value)}")
        return ""
    value = (value or "").strip()
    if required and not value:
        errors.add(loc, name, f"{name} is required")
    limit = LIMITS.get(name, 0)
    if limit and len(value) > limit:
        errors.add(loc, name, f"{name} has {len(value)} characters (at most {limit})")
    return value


def _ref(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> str:
    ref = read_text(raw, "ref", loc, errors)
    if ref and not REF.fullmatch(ref):
        errors.add(loc, "ref", f"ref {show(ref)} must be 1–64 of A–Z, a–z, 0–9, '_', '.', '-'")
    return ref


def read_username(raw: Mapping[str, Any], name: str, loc: Loc, errors: Problems) -> str:
    value = read_text(raw, name, loc, errors)
    if value and not USERNAME.fullmatch(value):
        errors.add(loc, name, f"{name} {show(value)} must be 2–64 of a–z, 0–9, '_', '.', '-'")
    return value


def _password(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> str | None:
    value = read_text(raw, "password", loc, errors, required=False)
    if value and len(value) < MIN_PASSWORD:
        errors.add(loc, "password", f"password is shorter than {MIN_PASSWORD} characters")
    return value or None


def _level(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> int:
    value = raw.get("level")
    level = LABEL_LEVELS.get(value.strip()) if isinstance(value, str) else None
    level = level or (parse_level(value) if isinstance(value, int | str) and value != "" else None)
    if level is None:
        shown = "is required" if value in (None, "") else f"{show(value)} is not a level"
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
    errors.add(loc, name, f"{name} {show(value)} is neither a ref nor a unit id like \"#12\"")
    return None


def _roles(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> tuple[str, ...]:
    value = raw.get("roles") or []
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        errors.add(loc, "roles", "roles must be a list of role names")
        return ()
    roles = {item.strip() for item in items if item.strip()}
    if unknown := sorted(roles - set(Role.ALL)):
        names = ", ".join(map(show, unknown))
        errors.add(loc, "roles", f"unknown role {names} (use {', '.join(Role.ALL)})")
    return tuple(sorted(roles & set(Role.ALL)))


def _desk(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> str | None:
    desk = _unit_ref(raw, "desk", loc, errors, required=False)
    if isinstance(desk, int):
        errors.add(loc, "desk", "desk must be the ref of a unit in this file (its office)")
        return None
    return desk


def read_unit(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> UnitPlan:
    return UnitPlan(
        ref=_ref(raw, loc, errors), name=read_text(raw, "name", loc, errors),
        level=_level(raw, loc, errors),
        parent=_unit_ref(raw, "parent", loc, errors, required=False), loc=loc,
        desk=_desk(raw, loc, errors),
    )


def read_position(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> PositionPlan | None:
    unit = _unit_ref(raw, "unit", loc, errors, required=True)
    title = read_text(raw, "title", loc, errors, required=False)
    roles = _roles(raw, loc, errors)
    return PositionPlan(unit, title, roles, loc) if unit is not None else None


def read_person(raw: Mapping[str, Any], loc: Loc, errors: Problems) -> PersonPlan:
    """A person without positions: CSV adds them row by row, JSON from its `positions` list."""
    return PersonPlan(
        username=read_username(raw, "username", loc, errors),
        display_name=read_text(raw, "display_name", loc, errors),
        password=_password(raw, loc, errors), positions=[], loc=loc,
    )
