"""The org directory: the unit tree, unit admins limited to their subtree, people search."""

from __future__ import annotations

import pytest
from conftest import Org, Server, logged_in, make_person, unique
from tongban_client import ApiError, TongbanClient


async def test_a_unit_has_its_path_and_children(admin: TongbanClient, org: Org) -> None:
    county = await admin.get_unit(org.county)
    assert county["path"] == [org.province, org.city, org.county]
    assert county["level_name"] == "county"
    assert org.township in [child["id"] for child in county["children"]]


async def test_a_unit_cannot_sit_above_its_parents_level(admin: TongbanClient, org: Org) -> None:
    with pytest.raises(ApiError) as caught:
        await admin.create_unit("倒挂的市", org.county, "city")
    assert caught.value.status == 422
    with pytest.raises(ApiError) as caught:
        await admin.create_unit("无级别", org.county, "galaxy")
    assert caught.value.status == 422


async def test_people_of_a_subtree(admin: TongbanClient, org: Org) -> None:
    village = await admin.create_unit(unique("村"), org.township, "village")
    deep = await make_person(admin, village["id"])
    direct = await admin.unit_people(org.county)
    subtree, cursor = [], None
    while True:  # every page: the session's county holds as many people as the tests made
        page = await admin.unit_people(org.county, include_subunits=True, limit=200,
                                       cursor=cursor)
        subtree += [p["id"] for p in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert deep["id"] not in [p["id"] for p in direct["items"]]
    assert deep["id"] in subtree


async def test_people_pages_follow_the_cursor(admin: TongbanClient, org: Org) -> None:
    unit = await admin.create_unit(unique("分页科"), org.county, "county")
    made = [await make_person(admin, unit["id"]) for _ in range(5)]
    first = await admin.unit_people(unit["id"], limit=3)
    second = await admin.unit_people(unit["id"], limit=3, cursor=first["next_cursor"])
    ids = [p["id"] for p in first["items"] + second["items"]]
    assert ids == [p["id"] for p in made] and second["next_cursor"] is None


async def test_people_are_found_by_chinese_substrings(
    admin: TongbanClient, alice: TongbanClient, org: Org
) -> None:
    someone = await make_person(admin, org.county, display_name="欧阳娜娜" + unique(""))
    found = await alice.search_people("阳娜娜")
    assert [p["id"] for p in found["items"]] == [someone["id"]]
    assert (await alice.search_people("不存在的名字"))["items"] == []


async def test_unit_admins_manage_their_subtree_only(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    county_admin = await logged_in(
        server, await make_person(admin, org.county, roles=["unit_admin"])
    )
    inside = await county_admin.create_unit(unique("乡"), org.county, "township")
    newcomer = await county_admin.create_person(unique("new"), "新同事", "password-123",
                                                inside["id"])
    assert newcomer["positions"][0]["unit_id"] == inside["id"]
    for attempt in (
        county_admin.create_unit(unique("乡"), org.other_county, "township"),
        county_admin.create_person(unique("x"), "越权", "password-123", org.other_county),
        county_admin.create_unit(unique("省"), None, "province"),
        county_admin.patch(f"/v1/org/units/{org.city}", {"name": "改名"}),
    ):
        with pytest.raises(ApiError) as caught:
            await attempt
        assert caught.value.status == 403
    await county_admin.aclose()


async def test_ordinary_people_cannot_create_units_or_people(
    alice: TongbanClient, org: Org
) -> None:
    with pytest.raises(ApiError) as caught:
        await alice.create_unit("私设机构", org.county, "county")
    assert caught.value.status == 403


async def test_a_taken_username_is_409(admin: TongbanClient, org: Org) -> None:
    someone = await make_person(admin, org.county)
    with pytest.raises(ApiError) as caught:
        await admin.create_person(someone["username"], "重名", "password-123", org.county)
    assert caught.value.status == 409


async def test_a_missing_unit_is_404(admin: TongbanClient) -> None:
    with pytest.raises(ApiError) as caught:
        await admin.get_unit(987654)
    assert caught.value.status == 404


async def test_a_position_in_a_second_unit_adds_its_audience(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    someone = await make_person(admin, org.county)
    client = await logged_in(server, someone)
    position = await admin.post(f"/v1/org/people/{someone['id']}/positions",
                                {"unit_id": org.township, "title": "挂职副镇长"})
    assert {u["id"] for u in (await client.me())["units"]} == {org.county, org.township}
    await admin.delete(f"/v1/org/positions/{position['id']}")
    assert [u["id"] for u in (await client.me())["units"]] == [org.county]
    await client.aclose()


async def test_a_person_is_shown_with_positions_to_anyone_signed_in(
    server: Server, admin: TongbanClient, org: Org
) -> None:
    person = await make_person(admin, org.township, position="副镇长", roles=["leader"])
    stranger = await logged_in(server, await make_person(admin, org.other_county))
    shown = await stranger.get_person(person["id"])
    assert (shown["display_name"], shown["positions"][0]["title"]) == (
        person["display_name"], "副镇长")
    assert shown["positions"][0]["roles"] == ["leader"] and "password" not in str(shown)
    with pytest.raises(ApiError) as missing:
        await stranger.get_person(2_000_000_000)  # missing, yet within every engine's id range
    assert missing.value.status == 404
    await stranger.aclose()
