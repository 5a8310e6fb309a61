"""The routing table: who serves whom in a government — its document desk, its leaders, and
how far their word reaches. Pure rules, no database (the facts come from `directory.desks`).

A government (湄潭县) seats its leaders (县长, 副县长: posts with the role `leader` in the
county unit itself) and names its document desk: the unit under it whose clerks (文书, role
`clerk`) receive, register and route its papers (湄潭县人民政府办公室, `Unit.desk`). Documents,
tasks and meeting calls addressed to the government then reach the desk, and the desk works
them with the government's leaders. With the org

    湄潭县 (desk: 县政府办公室; 县长 李娜 leader)
    ├── 湄潭县人民政府办公室 (文书 赵敏 clerk; 主任 leader, unit_admin)
    ├── 湄潭县水利局 (局长 leader; 文书 clerk)
    └── 永兴镇 (镇长 leader; 文书 王芳 clerk)

the rules read:

| rule | who may | for example | who may not (and what they get) |
|---|---|---|---|
| R1 desk | the clerks of U, and of U's named desk, receive what is addressed to U (`desk_units`) | a 收文 to 湄潭县 reaches 赵敏 | a unit with neither: `no_document_desk` (422) |
| R2 desk work | those clerks work U's documents: 签收, 登记, 初审, 拟办, 承办, 办结, 转发, 编号, 分发, 归档, registers, series (`works_desk`) | 赵敏 signs for 湄潭县's 收文 | 永兴镇's 文书, the 县长: 403 (404 if they cannot see it) |
| R3 leaders | the desk asks the leaders of U, or of a unit U serves as desk, for 拟办/批办/阅示 (`instructs`) | 赵敏 asks 李娜 | the 市长 above, a 镇长 below: `not_a_leader` (422) |
| R4 reach | a leader's 批示 on U's record directs units and people in U's subtree and the subtrees U serves: its departments and subordinate governments (`handling_scope`) | 李娜 directs 水利局 and 永兴镇 | a unit of another county: `unit_outside` (422) |
| R5 drafting | anyone posted in U or in U's desk drafts in U's name (`drafts_for`) | the 办公室 drafts 湄潭县's 转发 | anyone else: 403 |
| R6 代政府督办 | leaders and unit admins of G's desk assign and supervise tasks for G across G's subtree, attributed to both (`acting_for`) | the 办公室主任 assigns to 永兴镇 for 湄潭县 | the desk's clerks and staff: 403 |
| R7 oversight | leaders and unit admins of U, and of the desk of U, see U's subtree's ledger and statistics (`oversight_roots`) | the 办公室主任 sees 湄潭县's statistics | a 镇长 for the county: 404 |
| R8 naming a desk | U's desk is a unit under U at U's level (its office), not U; desks do not chain (`desk_problem`) | 湄潭县 names its 办公室 | 永兴镇 (a level below), a unit elsewhere, a desk naming a desk: 422 |
| R9 unit contact | the desk workers of U (R2) and U's leaders and unit admins answer for U (unit 回执) (`answers_for`) | 赵敏 names who attends for 湄潭县 | U's other staff: 403 |

A person may hold several posts; every rule asks whether any of them qualifies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from directory.policy import Role

OVERSIGHT = frozenset({Role.LEADER, Role.UNIT_ADMIN})


@dataclass(frozen=True)
class UnitFacts:
    """What the rules need to know of a unit: its materialised path, level and named desk."""

    id: int
    path: str
    level: int
    desk_id: int | None = None


@dataclass(frozen=True)
class Post:
    """A position a person holds: the unit and the roles it grants there."""

    unit_id: int
    roles: frozenset[str] = field(default_factory=frozenset)


def desk_units(unit: UnitFacts) -> list[int]:
    """R1: the units whose clerks work `unit`'s desk — its own, then its named desk's.

    >>> desk_units(UnitFacts(3, "/1/2/3/", 3, desk_id=4))
    [3, 4]
    """
    return [unit.id, *([unit.desk_id] if unit.desk_id else [])]


def _holds(posts: Iterable[Post], units: Iterable[int], roles: Iterable[str]) -> bool:
    wanted, among = set(units), frozenset(roles)
    return any(post.unit_id in wanted and post.roles & among for post in posts)


def works_desk(posts: Iterable[Post], unit: UnitFacts) -> bool:
    """R2: whether a person works `unit`'s document desk (a clerk of it or of its desk).

    >>> works_desk([Post(4, frozenset({"clerk"}))], UnitFacts(3, "/1/2/3/", 3, desk_id=4))
    True
    >>> works_desk([Post(3, frozenset({"leader"}))], UnitFacts(3, "/1/2/3/", 3, desk_id=4))
    False
    """
    return _holds(posts, desk_units(unit), {Role.CLERK})


def instructs(posts: Iterable[Post], unit: UnitFacts, served: Iterable[UnitFacts]) -> bool:
    """R3: whether a person leads `unit`, or a unit that `unit` serves as its desk.

    >>> office = UnitFacts(4, "/1/2/3/4/", 3)
    >>> instructs([Post(3, frozenset({"leader"}))], office, [UnitFacts(3, "/1/2/3/", 3, 4)])
    True
    """
    return _holds(posts, [unit.id, *(s.id for s in served)], {Role.LEADER})


def handling_scope(unit: UnitFacts, served: Iterable[UnitFacts]) -> list[str]:
    """R4: the subtrees (paths) a record of `unit` may be handled in.

    >>> handling_scope(UnitFacts(4, "/1/2/3/4/", 3), [UnitFacts(3, "/1/2/3/", 3, 4)])
    ['/1/2/3/4/', '/1/2/3/']
    """
    return [unit.path, *(s.path for s in served)]


def within(path: str, roots: Iterable[str]) -> bool:
    """Whether a unit (by path) lies in any of the subtrees `roots`.

    >>> within("/1/2/3/9/", ["/1/2/3/"]), within("/1/2/30/", ["/1/2/3/"])
    (True, False)
    """
    return any(path.startswith(root) for root in roots)


def drafts_for(posts: Iterable[Post], unit: UnitFacts) -> bool:
    """R5: whether a person may draft in `unit`'s name (any post in it or in its desk)."""
    wanted = set(desk_units(unit))
    return any(post.unit_id in wanted for post in posts)


def acting_for(posts: Iterable[Post], served_by: dict[int, list[UnitFacts]]
               ) -> list[tuple[UnitFacts, int]]:
    """R6: the governments a person may assign tasks for, each with the desk acting (代).

    `served_by` maps each desk the person is posted in to the units it serves.

    >>> county = UnitFacts(3, "/1/2/3/", 3, desk_id=4)
    >>> acting_for([Post(4, frozenset({"leader"}))], {4: [county]})
    [(UnitFacts(id=3, path='/1/2/3/', level=3, desk_id=4), 4)]
    >>> acting_for([Post(4, frozenset({"clerk"}))], {4: [county]})
    []
    """
    return [(government, post.unit_id) for post in posts if post.roles & OVERSIGHT
            for government in served_by.get(post.unit_id, [])]


def oversight_roots(posts: Iterable[Post], paths: dict[int, str],
                    served_by: dict[int, list[UnitFacts]]) -> list[str]:
    """R7: the subtrees whose tasks a person oversees: those of the units they lead or
    administer (`paths` by unit id), and of the governments those units serve as desk."""
    roots: list[str] = []
    for post in posts:
        if post.roles & OVERSIGHT:
            roots += [paths[post.unit_id], *(g.path for g in served_by.get(post.unit_id, []))]
    return list(dict.fromkeys(roots))


def desk_problem(unit: UnitFacts, desk: UnitFacts, *, unit_serves: bool) -> str | None:
    """R8: why `desk` cannot be `unit`'s desk (a problem slug), or None when it can.
    `unit_serves`: whether `unit` is itself some other unit's desk (desks do not chain).

    >>> county = UnitFacts(3, "/1/2/3/", 3)
    >>> desk_problem(county, UnitFacts(4, "/1/2/3/4/", 3), unit_serves=False) is None
    True
    >>> desk_problem(county, UnitFacts(9, "/1/2/3/9/", 4), unit_serves=False)
    'desk_level'
    """
    if desk.id == unit.id or not within(desk.path, [unit.path]):
        return "desk_outside_unit"
    if desk.level != unit.level:
        return "desk_level"
    if desk.desk_id is not None or unit_serves:
        return "desk_chain"
    return None


def answers_for(posts: Iterable[Post], unit: UnitFacts) -> bool:
    """R9: whether a person may answer for `unit` (its desk, its leaders, its admins)."""
    return works_desk(posts, unit) or _holds(posts, [unit.id], OVERSIGHT)
