"""Directory rules that need no database: unit levels and who may manage what."""

from __future__ import annotations

from enum import IntEnum

MAX_DEPTH = 12  # six administrative levels, with room for departments nested inside a level


class Level(IntEnum):
    """Administrative levels: 省 province … 网格 grid."""

    PROVINCE = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5
    GRID = 6


LEVEL_NAMES = {level: level.name.lower() for level in Level}
LEVEL_LABELS = {1: "省", 2: "市", 3: "县", 4: "乡镇", 5: "村", 6: "网格"}


def parse_level(value: int | str) -> Level | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Level(value) if value in Level._value2member_map_ else None
    try:
        return Level[value.strip().upper()]
    except KeyError:
        return Level(int(value)) if value.isdigit() and int(value) in Level._value2member_map_ else None


def child_level_ok(parent_level: int, child_level: int) -> bool:
    """A unit sits at or below its parent's level (a county's 县政府办公室 is county-level)."""
    return child_level >= parent_level


def path_of(parent_path: str, unit_id: int) -> str:
    return f"{parent_path or '/'}{unit_id}/"


def within(path: str, ancestor_paths: list[str]) -> bool:
    """Whether a unit (by materialised path) lies in any of the given subtrees."""
    return any(path.startswith(prefix) for prefix in ancestor_paths)


class Role:
    UNIT_ADMIN = "unit_admin"
    CLERK = "clerk"
    LEADER = "leader"
    ALL = ("unit_admin", "clerk", "leader")
