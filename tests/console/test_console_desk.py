"""The clerk's desk in a real browser: 收文 from 签收 to 拟办 (routed to the leader), 发文 from
the draft with attachments through sign-off to numbering and distribution, and 404 for what
another unit's official may not see."""

from __future__ import annotations

from typing import Any

from conftest import Server, unique
from console_helpers import Console, browser, consoles, login  # noqa: F401 (fixtures)
from documents_helpers import (
    MakeOffice, MakeOfficial, exchange,
    office, officials,  # noqa: F401 (fixtures)
)
from playwright.async_api import Browser, expect
from tongban_client import TongbanClient


async def pick_person(console: Console, label: str, person: dict[str, Any]) -> None:
    """Find a person by name in a picker and choose them, as a clerk types and clicks."""
    page = console.page
    await page.get_by_label(label, exact=True).fill(person["display_name"])
    await page.get_by_role("option").get_by_role("button", name=person["display_name"]).click()


async def test_a_clerk_registers_an_incoming_document_and_routes_it_to_the_leader(
        server: Server, admin: TongbanClient, browser: Browser, consoles: list[Console],
        office: MakeOffice, officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    below = await admin.create_unit(unique("下属单位"), ex.receiver, "county")
    clerk = await login(browser, server, ex.their_clerk.person)
    consoles.append(clerk)
    page = clerk.page
    await expect(page.locator('[data-step="delivered"] .count')).to_have_text("1")
    await clerk.shot("desk")
    await page.get_by_role("link", name=ex.incoming["title"]).click()
    await page.get_by_role("button", name="签收", exact=True).click()
    await page.get_by_role("button", name="登记", exact=True).click()
    await expect(page.get_by_role("heading", name="初审")).to_be_visible()
    registered = await ex.their_clerk.client.get_document(ex.incoming["id"])
    number = registered["receipt"]["incoming_number"]
    await expect(page.get_by_role("region", name="收文处理单")).to_contain_text(number)
    await page.get_by_role("button", name="通过初审").click()
    await page.get_by_label("拟办意见").fill("拟请领导阅示，由办公室牵头办理。")
    await page.get_by_role("button", name="送批办").click()
    # No leader chosen: the API's 422, in Chinese, next to the field it names.
    await expect(page.get_by_role("alert").first).to_contain_text("批办领导")
    await pick_person(clerk, "批办领导", ex.their_leader.person)
    await page.get_by_role("button", name="送批办").click()
    await expect(page.locator(".meta .badge")).to_have_text("待批办")
    await clerk.shot("document-incoming")
    stored = await ex.their_clerk.client.get_document(ex.incoming["id"])
    assert stored["state"] == "proposed" and stored["receipt"]["incoming_number"]
    assert stored["receipt"]["proposal"] == "拟请领导阅示，由办公室牵头办理。"
    waiting = (await ex.their_leader.client.approvals_inbox())["items"]
    assert [item["chain"]["subject_id"] for item in waiting] == [str(ex.incoming["id"])]
    await pick_person(clerk, "传阅人员", ex.their_leader.person)  # 传阅 while it waits
    await page.get_by_role("button", name="发起传阅").click()
    await expect(page.locator(".card", has_text="当前在阅")).to_contain_text(
        ex.their_leader.person["display_name"])
    # The leader instructs on the phone; the desk carries it on to 归档 without reloading.
    await clerk.mark_document()
    await ex.their_leader.client.instruct_document(ex.incoming["id"], "请办公室牵头办理",
                                                   key=ex.their_leader.key)
    await expect(page.get_by_role("heading", name="承办")).to_be_visible()
    await expect(page.get_by_role("region", name="收文处理单")).to_contain_text("请办公室牵头办理")
    await page.get_by_role("button", name="交办").click()
    await page.get_by_label("办结情况").fill("已按要求办理完毕。")
    await page.get_by_role("button", name="办结", exact=True).click()
    await page.get_by_role("button", name="归档", exact=True).click()
    await expect(page.locator(".meta .badge")).to_have_text("已归档")
    assert await clerk.was_not_reloaded()
    history = page.get_by_role("table", name="办理记录")
    for step in ("签收", "登记", "初审", "拟办", "承办", "办结", "归档"):
        await expect(history).to_contain_text(step)
    archived = await ex.their_clerk.client.get_document(ex.incoming["id"])
    assert archived["state"] == "archived" and archived["receipt"]["result"] == "已按要求办理完毕。"
    # 转发 to a unit under the receiving one: a new draft of this desk carrying the original.
    forward = page.locator("details", has_text="转发")
    await forward.locator("summary").click()
    await forward.get_by_role("button", name=f"展开 {ex.incoming['unit']['name']}").click()
    await forward.get_by_role("checkbox", name=below["name"]).check()
    await forward.get_by_label("转发语").fill("现将该文转发给你们，请认真贯彻落实。")
    await forward.get_by_role("button", name="生成转发稿").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("转发")
    await expect(page.locator(".meta .badge")).to_have_text("拟稿")
    await clerk.visit("/desk")  # the desk follows the 传阅 still going round
    tracked = page.get_by_role("table", name="传阅中").get_by_role("row", name=ex.incoming["title"])
    await expect(tracked).to_contain_text(ex.their_leader.person["display_name"])
    await expect(tracked).to_contain_text("0/1")


async def test_an_official_of_another_unit_sees_404(
        server: Server, browser: Browser, consoles: list[Console], office: MakeOffice,
        officials: MakeOfficial) -> None:
    ex = await exchange(office, officials)
    stranger = await officials(await office(), ["clerk", "leader"])
    console = await login(browser, server, stranger.person)
    consoles.append(console)
    await console.visit(f"/documents/{ex.incoming['id']}")
    await expect(console.page.get_by_role("alert")).to_have_text("找不到该记录，或您无权查看。")
    assert console.statuses[f"/v1/documents/{ex.incoming['id']}"] == 404
    await console.shot("not-found")
    async with console.page.expect_response(lambda r: "/v1/tasks/stats" in r.url) as stats:
        await console.visit(f"/cockpit/{ex.receiver}")
    assert (await stats.value).status == 404
    await expect(console.page.get_by_role("heading", level=1)).to_have_count(0)
    await expect(console.page.get_by_role("alert")).to_have_text("找不到该记录，或您无权查看。")
    await expect(console.page.get_by_text(ex.incoming["title"])).to_have_count(0)


async def test_a_clerk_drafts_with_attachments_routes_for_sign_off_and_issues(
        server: Server, browser: Browser, consoles: list[Console], office: MakeOffice,
        officials: MakeOfficial) -> None:
    receiver_name = unique("收文单位")
    unit, receiver = await office(), await office(name=receiver_name)
    their_clerk = await officials(receiver, ["clerk"])
    clerk = await officials(unit, ["clerk"])
    reviewer, signer = await officials(unit), await officials(unit, ["leader"])
    prefix = unique("测试办发")
    await clerk.client.create_document_series(unit, prefix)
    console = await login(browser, server, clerk.person, route="/draft")
    consoles.append(console)
    page = console.page
    title = f"关于{unique('汛期值班')}的通知"
    await page.get_by_label("标题").fill(title)
    await pick_person(console, "签发人", signer.person)
    main = page.get_by_role("group", name="主送单位")
    for level in ("测试省", "测试市", "测试县"):  # open the org tree down to the receiver
        await main.get_by_role("button", name=f"展开 {level}").click()
    await main.get_by_role("checkbox", name=receiver_name).check()
    await page.get_by_label("正文文件").set_input_files(
        files=[{"name": "正文.txt", "mimeType": "text/plain",
                "buffer": "各单位：请做好值班。".encode()}])
    await page.get_by_label("附件").set_input_files(files=[
        {"name": "值班表.csv", "mimeType": "text/csv", "buffer": "日期,值班人\n".encode()},
        {"name": "通讯录.txt", "mimeType": "text/plain", "buffer": "电话".encode()}])
    await console.shot("draft")
    await page.get_by_role("button", name="保存稿件").click()
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await expect(page.get_by_role("link", name="值班表.csv")).to_be_visible()
    document_id = int(page.url.rsplit("/", 1)[-1])
    await pick_person(console, "核稿人（可不选）", reviewer.person)
    await page.get_by_role("button", name="送审", exact=True).click()
    await expect(page.locator(".meta .badge")).to_have_text("审核中")
    await console.mark_document()
    await reviewer.sign(document_id)  # on their phones
    await signer.sign(document_id)
    await expect(page.locator(".meta .badge")).to_have_text("已签发")  # live, no reload
    assert await console.was_not_reloaded()
    await page.get_by_role("button", name="编号", exact=True).click()
    await expect(page.locator(".meta")).to_contain_text(prefix)
    await page.get_by_role("button", name="分发", exact=True).click()  # to the 主送 units
    await expect(page.locator(".meta .badge")).to_have_text("已分发")
    await console.shot("document-outgoing")
    stored = await clerk.client.get_document(document_id)
    assert stored["state"] == "distributed" and stored["doc_number"].startswith(prefix)
    assert len(stored["attachments"]) == 2 and stored["body"] is not None
    arrived = (await their_clerk.client.list_documents(direction="incoming"))["items"]
    assert [d["title"] for d in arrived] == [title]
