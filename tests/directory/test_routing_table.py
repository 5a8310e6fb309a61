"""The routing table (`directory.routing`), rule by rule and without a database: for each rule,
who may and who may not, in the org of the module's docstring:

    湄潭县 (1/2/3, desk 4)
    ├── 湄潭县人民政府办公室 (4)
    ├── 湄潭县水利局 (5)
    └── 永兴镇 (6, a level below)
    凤冈县 (7, a county beside it)
"""

from __future__ import annotations

from directory.routing import (
    Post, UnitFacts, acting_for, answers_for, desk_problem, desk_units, drafts_for,
    handling_scope, instructs, oversight_roots, within, works_desk,
)

COUNTY = UnitFacts(3, "/1/2/3/", 3, desk_id=4)
OFFICE = UnitFacts(4, "/1/2/3/4/", 3)
BUREAU = UnitFacts(5, "/1/2/3/5/", 3)
TOWNSHIP = UnitFacts(6, "/1/2/3/6/", 4)
NEIGHBOUR = UnitFacts(7, "/1/2/7/", 3)
CITY = UnitFacts(2, "/1/2/", 2)
SERVED = {4: [COUNTY]}


def post(unit: UnitFacts, *roles: str) -> Post:
    return Post(unit.id, frozenset(roles))


def test_r1_a_unit_with_a_desk_is_received_at_its_own_clerks_and_the_desks() -> None:
    assert desk_units(COUNTY) == [3, 4]
    assert desk_units(TOWNSHIP) == [6]  # no desk named: its own clerks only


def test_r2_the_desks_clerks_work_the_governments_documents_and_nobody_else_does() -> None:
    assert works_desk([post(OFFICE, "clerk")], COUNTY)
    assert works_desk([post(COUNTY, "clerk")], COUNTY)
    assert not works_desk([post(COUNTY, "leader")], COUNTY)  # the 县长 leads, the desk works
    assert not works_desk([post(OFFICE, "leader", "unit_admin")], COUNTY)  # 主任 is no clerk
    assert not works_desk([post(TOWNSHIP, "clerk")], COUNTY)  # a clerk below
    assert not works_desk([post(OFFICE, "clerk")], BUREAU)  # the desk serves the county only


def test_r3_the_desk_asks_the_leaders_it_serves_and_no_others() -> None:
    assert instructs([post(COUNTY, "leader")], COUNTY, [])
    assert instructs([post(COUNTY, "leader")], OFFICE, SERVED[4])  # the desk's own record
    assert instructs([post(OFFICE, "leader")], OFFICE, SERVED[4])
    assert not instructs([post(CITY, "leader")], COUNTY, [])  # the 市长 above
    assert not instructs([post(TOWNSHIP, "leader")], COUNTY, [])  # a 镇长 below
    assert not instructs([post(COUNTY, "clerk")], COUNTY, [])


def test_r4_a_批示_reaches_departments_and_subordinate_governments_only() -> None:
    scope = handling_scope(COUNTY, [])
    assert within(BUREAU.path, scope) and within(TOWNSHIP.path, scope)
    assert not within(NEIGHBOUR.path, scope) and not within(CITY.path, scope)
    from_office = handling_scope(OFFICE, SERVED[4])  # the desk's record reaches as far
    assert within(BUREAU.path, from_office) and within(TOWNSHIP.path, from_office)
    assert not within(NEIGHBOUR.path, from_office)
    assert not within("/1/2/30/", ["/1/2/3/"])  # a path prefix is not a subtree


def test_r5_the_desk_drafts_in_the_governments_name() -> None:
    assert drafts_for([post(OFFICE)], COUNTY) and drafts_for([post(COUNTY)], COUNTY)
    assert not drafts_for([post(BUREAU, "clerk")], COUNTY)
    assert not drafts_for([post(OFFICE, "clerk")], TOWNSHIP)


def test_r6_the_desks_leaders_assign_for_the_government_and_its_clerks_do_not() -> None:
    assert acting_for([post(OFFICE, "leader")], SERVED) == [(COUNTY, 4)]
    assert acting_for([post(OFFICE, "unit_admin")], SERVED) == [(COUNTY, 4)]
    assert acting_for([post(OFFICE, "clerk")], SERVED) == []
    assert acting_for([post(BUREAU, "leader")], {5: []}) == []  # no desk, no government


def test_r7_oversight_reaches_the_served_governments_subtree() -> None:
    paths = {3: COUNTY.path, 4: OFFICE.path, 6: TOWNSHIP.path}
    assert oversight_roots([post(OFFICE, "leader")], paths, SERVED) == [OFFICE.path, COUNTY.path]
    assert oversight_roots([post(TOWNSHIP, "leader")], paths, {6: []}) == [TOWNSHIP.path]
    assert oversight_roots([post(OFFICE, "clerk")], paths, SERVED) == []


def test_r8_a_desk_is_an_office_under_the_unit_at_its_level() -> None:
    plain = UnitFacts(3, "/1/2/3/", 3)
    assert desk_problem(plain, OFFICE, unit_serves=False) is None
    assert desk_problem(plain, plain, unit_serves=False) == "desk_outside_unit"
    assert desk_problem(plain, NEIGHBOUR, unit_serves=False) == "desk_outside_unit"
    assert desk_problem(plain, TOWNSHIP, unit_serves=False) == "desk_level"
    assert desk_problem(plain, UnitFacts(4, OFFICE.path, 3, desk_id=9),
                        unit_serves=False) == "desk_chain"
    assert desk_problem(plain, OFFICE, unit_serves=True) == "desk_chain"


def test_r9_the_desk_leaders_and_admins_answer_for_a_unit() -> None:
    assert answers_for([post(OFFICE, "clerk")], COUNTY)
    assert answers_for([post(COUNTY, "leader")], COUNTY)
    assert answers_for([post(COUNTY, "unit_admin")], COUNTY)
    assert not answers_for([post(COUNTY)], COUNTY)  # a post without a role
    assert not answers_for([post(OFFICE, "leader")], COUNTY)  # the 主任 answers for the office
    assert not answers_for([post(TOWNSHIP, "clerk")], COUNTY)
