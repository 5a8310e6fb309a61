"""Live pages in a real browser, updated from the event feed without reloading: the cockpit
showing a task that turns red, the meeting board as a phone checks in, a notice's
confirmations; and every page readable at a desk's 1366×768 and on a tablet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import Server, logged_in, make_person, read_feed, unique
from console_helpers import (  # noqa: F401 (fixtures)
    TABLET, Console, browser, consoles, login, screenshot,
)
from playwright.async_api import Browser, expect
from tongban_client import TongbanClient
from tongban_client.notices import audience

from core.clock import utcnow


async def tree(admin: TongbanClient, top_level: str, child_level: str, count: int
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A unit tree of the test's own (so the org picker shows only it): a top and children."""
    top = await admin.create_unit(unique("驾驶舱"), None, top_level)
    children = [await admin.create_unit(unique("下级"), top["id"], child_level)
                for _ in range(count)]
    return top, children


def kpi(console: Console, label: str) -> Any:
    return console.page.locator(f'[data-kpi="{label}"] .value')


async def test_the_cockpit_shows_a_task_turn_red_while_it_is_open(
        server: Server, admin: TongbanClient, browser: Browser, consoles: list[Console]) -> None:
    city, (county_a, _) = await tree(admin, "city", "county", 2)
    supervisor = await make_person(admin, city["id"], roles=["leader", "unit_admin"])
    officer = await make_person(admin, county_a["id"])
    console = await login(browser, server, supervisor, route=f"/cockpit/{city['id']}")
    consoles.append(console)
    await expect(kpi(console, "督办事项")).to_have_text("0")
    await console.mark_document()
    phone = await logged_in(server, supervisor)
    title = unique("防汛物资清点")
    await phone.create_task(title, due_at=utcnow() + timedelta(seconds=10),
                            people=[officer["id"]])
    await expect(kpi(console, "临期")).to_have_text("1")  # heard task.assigned
    await expect(kpi(console, "超期")).to_have_text("1", timeout=30_000)  # task.overdue
    await expect(kpi(console, "临期")).to_have_text("0")
    red = console.page.get_by_role("table", name="超期事项")
    await expect(red.get_by_role("row", name=title)).to_contain_text("超期")
    assert await console.was_not_reloaded()
    await console.shot("cockpit")
    await console.page.get_by_role("link", name=county_a["name"]).click()  # drill down
    await expect(console.page.get_by_role("heading", level=1)).to_have_text(
        f"领导驾驶舱 · {county_a['name']}")
    await expect(kpi(console, "超期")).to_have_text("1")
    await expect(console.page.get_by_role("navigation", name="层级")).to_contain_text(city["name"])
    await console.shot("cockpit-drilldown")
    await phone.aclose()


async def test_the_meeting_board_updates_when_a_phone_checks_in(
        server: Server, admin: TongbanClient, browser: Browser, consoles: list[Console]) -> None:
    office, (town_a, town_b) = await tree(admin, "county", "township", 2)
    organiser = await make_person(admin, office["id"], roles=["clerk"])
    people = [await make_person(admin, town_a["id"]), await make_person(admin, town_b["id"])]
    desk_phone = await logged_in(server, organiser)
    start = utcnow() + timedelta(minutes=10)
    meeting = await desk_phone.create_meeting(
        unique("防汛调度会"), "议程见附件", audience(people=[p["id"] for p in people]),
        {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(),
         "location": "三楼会议室"})
    console = await login(browser, server, organiser, route=f"/meetings/{meeting['id']}")
    consoles.append(console)
    await expect(kpi(console, "应到")).to_have_text("2")
    await expect(kpi(console, "已签到")).to_have_text("0")
    code = console.page.get_by_role("region", name="签到码").locator(".code")
    await expect(code).to_have_text((await desk_phone.checkin_code(meeting["id"]))["code"])
    await console.mark_document()
    phone = await logged_in(server, people[0])  # the attendee's phone: the client library
    await phone.rsvp(meeting["id"], "attend")
    await expect(kpi(console, "参会")).to_have_text("1")
    await phone.check_in(meeting["id"], (await desk_phone.checkin_code(meeting["id"]))["code"])
    await expect(kpi(console, "已签到")).to_have_text("1")
    row = console.page.locator(f'tr[data-unit="{town_a["id"]}"] [data-count="checked_in"]')
    await expect(row).to_have_text("1")
    # Offline for a while (the desk's network drops): the board resumes where it was.
    live = console.page.locator(".live")
    await console.drop_connection()
    await expect(live).not_to_have_attribute("data-status", "live")
    second = await logged_in(server, people[1])
    await second.rsvp(meeting["id"], "attend")
    await second.check_in(meeting["id"], (await desk_phone.checkin_code(meeting["id"]))["code"])
    await expect(kpi(console, "已签到")).to_have_text("1")  # missed while away
    await console.restore_connection()
    await expect(live).to_have_attribute("data-status", "live", timeout=30_000)
    await expect(kpi(console, "已签到")).to_have_text("2")
    assert await console.was_not_reloaded()
    await console.shot("meeting-board")
    for client in (phone, second, desk_phone):
        await client.aclose()


async def test_a_notice_composed_from_the_org_tree_shows_confirmations_live(
        server: Server, admin: TongbanClient, browser: Browser, consoles: list[Console]) -> None:
    top, (unit, _) = await tree(admin, "county", "township", 2)
    publisher = await make_person(admin, top["id"], roles=["clerk"])
    readers = [await make_person(admin, unit["id"]), await make_person(admin, unit["id"])]
    console = await login(browser, server, publisher, route="/notices/new")
    consoles.append(console)
    page = console.page
    title = unique("关于报送汛情的通知")
    await page.get_by_label("标题").fill(title)
    await page.get_by_label("正文").fill("请各单位于今日17时前报送。")
    picker = page.get_by_role("group", name="接收单位")
    await picker.get_by_role("button", name=f"展开 {top['name']}").click()
    await picker.get_by_role("checkbox", name=unit["name"]).check()
    await console.shot("notice-compose")
    await page.get_by_role("button", name="发布").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(kpi(console, "接收")).to_have_text("2")
    await expect(kpi(console, "已确认")).to_have_text("0")
    phone = await logged_in(server, readers[0])
    [notice] = (await phone.list_notices())["items"]
    await phone.confirm_notice(notice["id"])
    await expect(kpi(console, "已确认")).to_have_text("1")  # heard notice.confirmed
    await page.get_by_role("button", name="提醒未确认").click()
    await expect(page.get_by_role("status").filter(has_text="已发送提醒")).to_be_visible()
    late = await logged_in(server, readers[1])
    events, _ = await read_feed(late)
    assert "notice.reminder" in [event["kind"] for event in events]
    await console.shot("notice-confirmations")
    for client in (phone, late):
        await client.aclose()


async def test_every_page_reads_at_a_desk_and_on_a_tablet(
        server: Server, admin: TongbanClient, browser: Browser, consoles: list[Console]) -> None:
    city, _ = await tree(admin, "city", "county", 3)
    person = await make_person(admin, city["id"], roles=["clerk", "leader", "unit_admin"])
    pages = {"desk-empty": "/desk", "registers": "/registers/incoming",
             "registers-outgoing": "/registers/outgoing", "notices": "/notices",
             "draft-form": "/draft", "cockpit-empty": f"/cockpit/{city['id']}"}
    for size, viewport in (("desk", None), ("tablet", TABLET)):
        console = await login(browser, server, person, viewport=viewport)
        consoles.append(console)
        for name, route in pages.items():
            await console.visit(route)
            await expect(console.page.get_by_role("heading", level=1)).to_be_visible()
            loading = console.page.get_by_role("status").filter(has_text="正在加载")
            await expect(loading).to_have_count(0)
            wide = await console.page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, f"{route} scrolls sideways by {wide}px on a {size}"
            await console.shot(f"{name}-{size}")
    anonymous = await browser.new_context(viewport=TABLET)
    page = await anonymous.new_page()
    await page.goto(f"{server.base_url}/console/")
    await page.get_by_label("用户名").fill(person["username"])
    await page.get_by_label("密码").fill("wrong-password")
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    await screenshot(page, "login")
    await anonymous.close()
