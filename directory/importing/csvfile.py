"""The CSV form of an org file: one row per unit, per position of a person, per group member."""

from __future__ import annotations

import csv
import io

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

CSV_COLUMNS = {
    "unit": UNIT_FIELDS,
    "person": ("username", "display_name", "password", "unit", "title", "roles"),
    "group": ("name", "username"),
}
HEADER = ("type", "ref", "name", "level", "parent", "desk", "username", "display_name",
          "password", "unit", "title", "roles")


class _CsvPlan:
    """Rows become a plan; a person's later rows add positions, a group's later rows add members."""

    def __init__(self) -> None:
        self.plan = OrgPlan()
        self.people: dict[str, PersonPlan] = {}
        self.groups: dict[str, GroupPlan] = {}

    def add(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        kind = raw.get("type", "").lower()
        if kind not in CSV_COLUMNS:
            shown = "is required" if not kind else f"{show(kind)} is not unit, person or group"
            errors.add(loc, "type", f"type {shown}")
            return
        stray = [name for name, value in raw.items()
                 if value and name != "type" and name not in CSV_COLUMNS[kind]]
        if stray:
            errors.add(loc, "", f"column {', '.join(stray)} does not apply to a {kind} row")
        getattr(self, f"_{kind}")(raw, loc, errors)

    def _unit(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        self.plan.units.append(read_unit(raw, loc, errors))

    def _person(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        person = self.people.get(raw.get("username", ""))
        if person is None:
            person = read_person(raw, loc, errors)
            self.people.setdefault(person.username, person)
            self.plan.people.append(person)
        else:
            for name in ("display_name", "password"):
                if raw.get(name) and raw[name] != getattr(person, name):
                    errors.add(loc, name, f"{name} differs from {person.loc.base}")
        if position := read_position(raw, loc, errors):
            person.positions.append(position)

    def _group(self, raw: dict[str, str], loc: Loc, errors: Problems) -> None:
        name = read_text(raw, "name", loc, errors)
        member = read_username(raw, "username", loc, errors)
        group = self.groups.get(name)
        if group is None:  # the group's first row names its owner
            group = self.groups[name] = GroupPlan(name, member, [], loc)
            self.plan.groups.append(group)
        if member and member not in group.members:
            group.members.append(member)


def parse_csv(text: str, errors: Problems) -> OrgPlan:
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
        errors.add(first, "", f"column {show(name)} {problem}")
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
