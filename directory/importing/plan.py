"""What an org file asks for (units, people, groups), where each item stands, what went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    desk: str | None = None  # the ref of its document desk (办公室/办公厅), a unit in the file


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
