"""Factories for the routing tests: a government of the test's own — a city with a county
whose 办公室 is its document desk, a bureau and two townships, a county beside it, and a
provincial office that sends it documents — and its officials, signed in with device keys."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from conftest import Org, Server, logged_in, make_person, read_feed, unique
from tongban_client import ApiError, DeviceKey, TongbanClient

Json = dict[str, Any]
# (unit key, title, roles) of every official the government has
STAFF = (
    ("province", "文书", ["clerk"]), ("province", "秘书长", ["leader"]), ("province", "科员", []),
    ("city", "市长", ["leader"]),
    ("county", "县长", ["leader"]), ("county", "副县长", ["leader"]), ("county", "科员", []),
    ("office", "主任", ["leader", "unit_admin"]), ("office", "文书", ["clerk"]),
    ("bureau", "局长", ["leader"]), ("bureau", "文书", ["clerk"]),
    ("town_a", "镇长", ["leader"]), ("town_a", "文书", ["clerk"]),
    ("town_b", "镇长", ["leader"]), ("town_b", "文书", ["clerk"]),
    ("neighbour", "县长", ["leader"]), ("neighbour", "文书", ["clerk"]),
)


@dataclass
class Official:
    person: Json
    client: TongbanClient
    key: DeviceKey

    @property
    def id(self) -> int:
        return int(self.person["id"])

    @property
    def name(self) -> str:
        return str(self.person["display_name"])

    async def mark(self) -> int:
        return (await read_feed(self.client))[1]

    async def kinds_since(self, after: int) -> list[str]:
        return [event["kind"] for event in (await read_feed(self.client, after))[0]]


@dataclass
class Government:
    """`units[key]` and `people["county 县长"]`-style officials (unit key and title)."""

    admin: TongbanClient
    units: dict[str, int]
    people: dict[str, Official] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Official:
        return self.people[key]

    async def close(self) -> None:
        for official in self.people.values():
            await official.client.aclose()


async def make_government(server: Server, admin: TongbanClient, org: Org) -> Government:
    tag = unique("")
    units = {"province": (await admin.create_unit(f"省政府办公厅{tag}", org.province,
                                                  "province"))["id"]}
    units["city"] = (await admin.create_unit(f"遵义市{tag}", org.province, "city"))["id"]
    units["county"] = (await admin.create_unit(f"湄潭县{tag}", units["city"], "county"))["id"]
    for key, name, level in (("office", "湄潭县人民政府办公室", "county"),
                             ("bureau", "湄潭县水利局", "county"), ("town_a", "永兴镇", "township"),
                             ("town_b", "兴隆镇", "township")):
        units[key] = (await admin.create_unit(f"{name}{tag}", units["county"], level))["id"]
    units["neighbour"] = (await admin.create_unit(f"凤冈县{tag}", units["city"], "county"))["id"]
    await admin.set_unit_desk(units["county"], units["office"])
    government = Government(admin, units)
    for key, title, roles in STAFF:
        person = await make_person(admin, units[key], roles=roles, position=title,
                                   display_name=f"{title}{unique('')}")
        client = await logged_in(server, person)
        device_key = DeviceKey.generate()
        await client.register_device("办公手机", "android", device_key)
        government.people[f"{key} {title}"] = Official(person, client, device_key)
    return government


@pytest_asyncio.fixture(loop_scope="session", name="gov")
async def government_fixture(server: Server, admin: TongbanClient, org: Org
                             ) -> AsyncIterator[Government]:
    """The `gov` fixture: a government of the test's own (import it into a test module)."""
    made = await make_government(server, admin, org)
    yield made
    await made.close()


def days(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=n)


async def refused(call: Awaitable[Any], status: int, slug: str | None = None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    assert caught.value.status == status, caught.value
    if slug:
        assert caught.value.type.endswith("/" + slug) or any(
            e.get("type") == slug for e in caught.value.errors or []), caught.value
    return caught.value


async def upload(official: Official, text: str, name: str = "正文.txt") -> Json:
    return await official.client.upload_file(text.encode(), name, "text/plain")


async def sent_to_county(gov: Government, title: str = "关于做好防汛工作的通知", *,
                         first_draft: str | None = None) -> Json:
    """The provincial office sends a signed, numbered document addressed to the county (the
    government, not its office), its body rewritten once when a `first_draft` is given;
    returns the county's incoming record as its desk sees it."""
    clerk, signer = gov["province 文书"], gov["province 秘书长"]
    body = await upload(clerk, first_draft or "各县人民政府：请切实做好防汛工作。")
    draft = await clerk.client.create_document(gov.units["province"], "notice", title,
                                               body_file_id=body["id"], signer_id=signer.id,
                                               main_units=[gov.units["county"]])
    if first_draft:
        final = await upload(clerk, "各县人民政府：请切实做好防汛工作（定稿）。")
        await clerk.client.edit_document(draft["id"], body_file_id=final["id"])
    await clerk.client.submit_document(draft["id"])
    await signer.client.sign_document(draft["id"], key=signer.key, comment="同意")
    series = await clerk.client.create_document_series(gov.units["province"], unique("黔府办发"))
    await clerk.client.issue_document(draft["id"], series["id"])
    await clerk.client.distribute_document(draft["id"])
    desk = gov["office 文书"].client
    found = await desk.list_documents(direction="incoming", q=title)
    [incoming] = [d for d in found["items"] if d["unit"]["id"] == gov.units["county"]]
    return await desk.get_document(incoming["id"])


async def reviewed(gov: Government, incoming: Json) -> None:
    """The county desk signs for, registers and accepts the record (签收, 登记, 初审)."""
    desk = gov["office 文书"].client
    await desk.receive_document(incoming["id"])
    await desk.register_document(incoming["id"])
    await desk.review_document(incoming["id"])


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
