"""Factories for the document tests: offices (units of the tests' own, so the people they make
do not flood anyone else's feed), officials (a person, a signed-in client, a device key),
uploads, drafts walked through sign-off, and the events people received."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from conftest import Org, Server, logged_in, make_person, read_feed, unique
from tongban_client import ApiError, DeviceKey, TongbanClient
from tongban_client.approvals import approval_step

from core.models import AuditEntry

Json = dict[str, Any]
step = approval_step


@dataclass
class Official:
    """A person with a signed-in client and a registered device key."""

    person: Json
    client: TongbanClient
    key: DeviceKey

    @property
    def id(self) -> int:
        return int(self.person["id"])

    async def mark(self) -> int:
        """The feed position now, to read only the events that follow."""
        return (await self._read(0))[1]

    async def events_since(self, after: int) -> list[Json]:
        return (await self._read(after))[0]

    async def _read(self, after: int) -> tuple[list[Json], int]:
        return await read_feed(self.client, after)

    async def sign(self, document_id: int, decision: str = "approve",
                   comment: str = "同意") -> Json:
        return await self.client.sign_document(document_id, key=self.key, decision=decision,
                                               comment=comment)


MakeOfficial = Callable[..., Awaitable[Official]]
MakeOffice = Callable[..., Awaitable[int]]


@pytest_asyncio.fixture(loop_scope="session")
async def office(admin: TongbanClient, org: Org) -> MakeOffice:
    """`await office("city")` makes a unit of the tests' own under the org's city (or county,
    township…), `await office(parent_id=…)` one under another unit."""

    async def make(under: str = "county", *, parent_id: int | None = None,
                   name: str | None = None) -> int:
        parent = parent_id or getattr(org, under)
        level = "county" if parent_id else under
        unit = await admin.create_unit(name or unique("公文测试办"), parent, level)
        return int(unit["id"])

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def officials(server: Server, admin: TongbanClient) -> AsyncIterator[MakeOfficial]:
    """`await officials(unit_id, roles=["clerk"])` makes one more official."""
    made: list[Official] = []

    async def make(unit_id: int, roles: list[str] | None = None,
                   name: str | None = None) -> Official:
        person = await make_person(admin, unit_id, roles=roles or [], display_name=name)
        client = await logged_in(server, person)
        key = DeviceKey.generate()
        await client.register_device("办公手机", "android", key)
        made.append(Official(person, client, key))
        return made[-1]

    yield make
    for official in made:
        await official.client.aclose()


async def upload_text(official: Official, text: str, name: str = "正文.txt") -> Json:
    return await official.client.upload_file(text.encode(), name, "text/plain")


async def draft(official: Official, unit_id: int, *, body: str | None = None,
                **elements: Any) -> Json:
    """A draft through the client, with a text body."""
    uploaded = await upload_text(official, body or f"正文：{unique('内容')}")
    elements.setdefault("doc_type", "notice")
    elements.setdefault("title", f"关于{unique('事项')}的通知")
    doc_type, title = elements.pop("doc_type"), elements.pop("title")
    return await official.client.create_document(unit_id, doc_type, title,
                                                 body_file_id=uploaded["id"], **elements)


async def signed(drafter: Official, signer: Official, unit_id: int, *,
                 reviewer: Official | None = None, **elements: Any) -> Json:
    """A draft walked through 核稿 (when a reviewer is given) and 签发."""
    document = await draft(drafter, unit_id, signer_id=signer.id, **elements)
    chain = [step("核稿", "one", people=[reviewer.id])] if reviewer else []
    await drafter.client.submit_document(document["id"], chain)
    if reviewer:
        await reviewer.sign(document["id"])
    await signer.sign(document["id"])
    return await drafter.client.get_document(document["id"])


async def refused(call: Awaitable[Any], status: int, slug: str | None = None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    assert caught.value.status == status, caught.value
    if slug:
        assert caught.value.type.endswith("/" + slug), caught.value
    return caught.value


async def audit_actions(document_id: int) -> list[str]:
    rows = await AuditEntry.filter(record_type="document", record_id=str(document_id)) \
        .order_by("seq").values_list("action", flat=True)
    return [str(action) for action in rows]


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII) in Helvetica."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class Exchange:
    """An issued document distributed from one office to another, with the people of both."""

    sender: int
    receiver: int
    drafter: Official
    signer: Official
    clerk: Official
    their_clerk: Official
    their_leader: Official
    outgoing: Json
    incoming: Json


async def exchange(office: MakeOffice, officials: MakeOfficial, **elements: Any) -> Exchange:
    """A county office sends a signed, numbered document to a city office's desk."""
    sender, receiver = await office(), await office("city")
    drafter, signer, clerk = [await officials(sender, r) for r in ([], ["leader"], ["clerk"])]
    their_clerk = await officials(receiver, ["clerk"])
    their_leader = await officials(receiver, ["leader"])
    document = await signed(drafter, signer, sender, main_units=[receiver], **elements)
    series = await clerk.client.create_document_series(sender, unique("测发"))
    await clerk.client.issue_document(document["id"], series["id"])
    await clerk.client.distribute_document(document["id"])
    [incoming] = (await their_clerk.client.list_documents(direction="incoming"))["items"]
    return Exchange(sender, receiver, drafter, signer, clerk, their_clerk, their_leader,
                    await clerk.client.get_document(document["id"]),
                    await their_clerk.client.get_document(incoming["id"]))


async def instructed(ex: Exchange) -> None:
    """Walk the incoming record to 批办."""
    client = ex.their_clerk.client
    await client.receive_document(ex.incoming["id"])
    await client.register_document(ex.incoming["id"])
    await client.review_document(ex.incoming["id"])
    await client.propose_handling(ex.incoming["id"], "拟请领导阅示", [ex.their_leader.id])
    await ex.their_leader.client.instruct_document(ex.incoming["id"], "请办理",
                                                   key=ex.their_leader.key)
