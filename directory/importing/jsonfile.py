"""The JSON form of an org file: `units`, `people` (each with `positions`) and `groups`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from directory.importing.fields import (
    UNIT_FIELDS,
    read_person,
    read_position,
    read_text,
    read_unit,
    read_username,
    show,
)
from directory.importing.plan import GroupPlan, Loc, OrgPlan, PersonPlan, Problems

JSON_KEYS = {"": ("units", "people", "groups"), "units": UNIT_FIELDS,
             "people": ("username", "display_name", "password", "positions"),
             "positions": ("unit", "title", "roles"), "groups": ("name", "owner", "members")}


def parse_json(text: str, errors: Problems) -> OrgPlan:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.add(Loc(f"line {exc.lineno}, column {exc.colno}"), "", f"not valid JSON: {exc.msg}")
        return OrgPlan()
    plan = OrgPlan()
    if not _object_ok(data, "", Loc("file"), errors):
        return plan
    plan.units = [read_unit(raw, loc, errors)
                  for raw, loc in _items(data, "units", Loc(""), errors)]
    plan.people = [_person(raw, loc, errors)
                   for raw, loc in _items(data, "people", Loc(""), errors)]
    plan.groups = [_group(raw, loc, errors)
                   for raw, loc in _items(data, "groups", Loc(""), errors)]
    return plan


def _object_ok(value: object, kind: str, loc: Loc, errors: Problems) -> bool:
    if not isinstance(value, dict):
        errors.add(loc, "", f"expected an object with {', '.join(JSON_KEYS[kind])}")
        return False
    for key in value.keys() - set(JSON_KEYS[kind]):
        errors.add(loc, "", f"unknown field {show(key)} (use {', '.join(JSON_KEYS[kind])})")
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


def _person(raw: dict[str, Any], loc: Loc, errors: Problems) -> PersonPlan:
    person = read_person(raw, loc, errors)
    for item, where in _items(raw, "positions", loc, errors):
        if position := read_position(item, where, errors):
            person.positions.append(position)
    if not raw.get("positions"):
        errors.add(loc, "positions", "a person needs at least one position")
    return person


def _group(raw: dict[str, Any], loc: Loc, errors: Problems) -> GroupPlan:
    owner = read_username(raw, "owner", loc, errors)
    members = raw.get("members", [])
    if not isinstance(members, list):
        errors.add(loc, "members", "members must be a list of usernames")
        members = []
    for index, member in enumerate(members):
        where = Loc(f"{loc.base}.members[{index}]", loc.order)
        read_username({"members": member}, "members", where, errors)
    names = [owner] + [m for m in members if isinstance(m, str)]
    return GroupPlan(read_text(raw, "name", loc, errors), owner, list(dict.fromkeys(names)), loc)
