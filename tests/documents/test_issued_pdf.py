"""The issued document itself (版式文件): rendered per GB/T 9704 on issue, sealed, signed,
delivered as the 正本, previewed and searched on phones, and verifiable by anyone. Geometry
is read back from the PDF's own coordinates (pdfium), in millimetres from the top left."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
import pytest_asyncio
from conftest import Org, Server, unique
from documents_helpers import Official, refused
from issued_helpers import (
    Issued, Team, flipped_bytes, glyphs, issued, line_text, open_pdf, page_lines, page_text, seal_png, shapes,
)
from PIL import Image, ImageChops
from pypdf import PdfReader
from tongban_client import TongbanClient

BODY = "\n".join([
    "为深入贯彻落实党中央、国务院关于深化“放管服”改革的决策部署，加快推进政务服务“一网通办”，"
    "经省人民政府同意，现就有关事项通知如下。",
    "一、总体要求",
    "以人民为中心，围绕企业和群众办事需求，到2027年底，实现90%以上的政务服务事项网上可办。",
    "（一）工作目标。全面推进线上线下融合，构建全省统一的政务服务平台体系。",
    "1.完善平台功能。依托全省一体化在线政务服务平台，整合各类业务系统。",
    "（1）统一身份认证。实现一次登录、全网通办。",
    "二、保障措施",
    "各地各部门要高度重视，加强组织领导，明确责任分工，确保各项任务落到实处。",
])
TITLE = "关于加快推进全省政务服务“一网通办”工作的通知"
MARK = "测试省政务服务管理办公室"
CENTRE = 28 + 156 / 2  # the 版心's centre line: 订口 28 mm, 版心 156 mm wide


@dataclass
class Notice:
    made: Issued
    receiver: int
    their_clerk: Official
    incoming_id: int
    data: bytes

    @property
    def id(self) -> int:
        return int(self.made.document["id"])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def team(server: Server, admin: TongbanClient, org: Org) -> AsyncIterator[Team]:
    made = Team(server, admin, org)
    yield made
    await made.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def notice(team: Team, admin: TongbanClient, org: Org) -> Notice:
    """A sealed 通知 with headings, an attachment and 抄送, issued and delivered to a city
    office."""
    receiver = await team.office("city")
    their_clerk = await team.official(receiver, ["clerk"])
    made = await issued(team.office, team.official, admin, body=BODY, doc_type="notice",
                        title=TITLE, main_units=[receiver], cc_units=[org.province],
                        written_on=date(2026, 11, 30), note="此件公开发布",
                        attachments=["一、行政许可事项\n共计1234项，详见清单。"],
                        mark=MARK)
    await made.clerk.client.distribute_document(made.document["id"], units=[receiver])
    [incoming] = (await their_clerk.client.list_documents(direction="incoming"))["items"]
    data = await made.clerk.client.download_document_pdf(made.document["id"])
    return Notice(made, receiver, their_clerk, int(incoming["id"]), data)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def request_doc(team: Team, admin: TongbanClient) -> tuple[Issued, bytes]:
    """A 请示 (上行文): its 签发人 stands in the header beside the number."""
    made = await issued(team.office, team.official, admin, body="妥否，请批示。",
                        doc_type="request", title="关于申请政务服务专项经费的请示",
                        seal=False)
    return made, await made.clerk.client.download_document_pdf(made.document["id"])


def lines_of(data: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, left, top, right, bottom) of each line of a page, in mm."""
    found = []
    for line in page_lines(open_pdf(data)[page]):
        found.append((line_text(line), min(g.left for g in line), min(g.top for g in line),
                      max(g.right for g in line), max(g.bottom for g in line)))
    return found


def line_with(lines: list[tuple[str, float, float, float, float]], text: str
              ) -> tuple[str, float, float, float, float]:
    return next(line for line in lines if text in line[0])


# -- rendering ---------------------------------------------------------------------------------

async def test_issuing_renders_the_signed_pdf_as_the_documents_original(notice: Notice) -> None:
    info = notice.made.document["issued_pdf"]
    assert notice.made.document["state"] == "issued" and "artifact_problem" not in \
        notice.made.document
    assert info["pages"] == len(open_pdf(notice.data)) >= 4 and info["missing_glyphs"] == []
    assert info["size"] == len(notice.data) and notice.data.startswith(b"%PDF")
    page = open_pdf(notice.data)[0]
    assert (round(page.get_width(), 1), round(page.get_height(), 1)) == (595.3, 841.9)


async def test_the_header_follows_gbt9704(notice: Notice) -> None:
    lines = lines_of(notice.data, 0)
    mark = line_with(lines, MARK + "文件")
    number = line_with(lines, notice.made.document["doc_number"])
    assert 37 + 35 - 1 <= mark[2] <= 37 + 35 + 4  # 标志 top 35 mm below the 版心's top
    assert (mark[1] + mark[3]) / 2 == pytest.approx(CENTRE, abs=1.5)  # centred (by ink)
    assert (number[1] + number[3]) / 2 == pytest.approx(CENTRE, abs=1)
    assert number[2] - mark[4] == pytest.approx(2 * 225 / 22, abs=4)  # two lines below
    [red] = [s for s in shapes(open_pdf(notice.data)[0])
             if s.kind == "path" and s.stroke == (255, 0, 0, 255)]
    assert (red.left, red.right) == (pytest.approx(28, abs=0.5), pytest.approx(184, abs=0.5))
    assert red.top - number[4] == pytest.approx(4, abs=1.5)  # 4 mm below the number
    title = line_with(lines, "关于加快推进")
    assert title[2] - red.bottom == pytest.approx(2 * 225 / 22, abs=3)
    assert (title[1] + title[3]) / 2 == pytest.approx(CENTRE, abs=1)


async def test_every_glyph_stays_in_the_type_area_and_pages_are_numbered_outside(
        notice: Notice) -> None:
    pdf = open_pdf(notice.data)
    for index, page in enumerate(pdf):
        body = [g for g in glyphs(page) if g.top < 262]
        assert all(27.5 <= g.left and g.right <= 184.5 and g.top >= 36.5 for g in body)
        folio = [g for g in glyphs(page) if g.top > 262]
        if not folio:
            continue
        text = "".join(g.char for g in folio)
        assert text == f"—{index + 1}—"
        assert min(g.top for g in folio) == pytest.approx(262 + 7, abs=1.5)
        if (index + 1) % 2:
            assert max(g.right for g in folio) == pytest.approx(184 - 4.9, abs=1.5)
        else:
            assert min(g.left for g in folio) == pytest.approx(28 + 4.9, abs=1.5)


async def test_the_seal_presses_signature_and_date_within_a_line_of_the_text(
        notice: Notice) -> None:
    pdf = open_pdf(notice.data)
    index = next(i for i in range(len(pdf)) if "2026年11月30日" in page_text(pdf[i])
                 and any(s.kind == "image" for s in shapes(pdf[i])))
    [seal] = [s for s in shapes(pdf[index]) if s.kind == "image"]
    lines = lines_of(notice.data, index)
    date_line = line_with(lines, "2026年11月30日")
    signature = next(line for line in lines if line[0] == MARK)
    assert date_line[3] == pytest.approx(184 - 4 * 156 / 28, abs=1)  # 右空四字
    centre = (seal.left + seal.right) / 2
    assert centre == pytest.approx((date_line[1] + date_line[3]) / 2, abs=1)
    assert seal.left < date_line[1] and date_line[3] < seal.right
    assert (signature[1] + signature[3]) / 2 == pytest.approx(centre, abs=1)
    for line in (date_line, signature):
        assert seal.top < line[2] and line[4] < seal.bottom
    assert (seal.top + seal.bottom) / 2 < (signature[2] + date_line[4]) / 2  # 居中心偏下
    above = max(line[4] for line in lines if line[4] < seal.top)
    assert seal.top - above <= 225 / 22


async def test_the_record_block_closes_the_last_even_page(notice: Notice) -> None:
    pdf = open_pdf(notice.data)
    assert len(pdf) % 2 == 0
    last = len(pdf) - 1
    rules = sorted((s for s in shapes(pdf[last]) if s.kind == "path"), key=lambda s: s.top)
    assert rules[-1].bottom == pytest.approx(262, abs=0.5)  # 末条分隔线 on the 版心's edge
    lines = lines_of(notice.data, last)
    cc = line_with(lines, "抄送：")
    printed = line_with(lines, "印发")
    assert rules[0].bottom < cc[2] < cc[4] < printed[2] < printed[4] < rules[-1].top
    assert cc[0].endswith("。") and cc[1] == pytest.approx(28 + 4.9, abs=1)


async def test_text_comes_out_in_reading_order(notice: Notice) -> None:
    text = "\n".join(page_text(page) for page in open_pdf(notice.data)).replace("\n", "")
    order = [MARK + "文件", notice.made.document["doc_number"], "关于加快推进",
             "各市、州" if "各市" in text else "：", "为深入贯彻落实", "一、总体要求",
             "（一）工作目标。", "1.完善平台功能。", "（1）统一身份认证。", "二、保障措施",
             "附件：附件1", "2026年11月30日", "（此件公开发布）", "附件", "一、行政许可事项",
             "抄送：", "印发"]
    positions = []
    start = 0
    for fragment in order[2:]:
        found = text.find(fragment, start)
        assert found >= 0, f"{fragment!r} missing or out of order"
        positions.append(found)
        start = found
    assert text.find(order[0]) < text.find(order[1]) < positions[0]


async def test_fonts_are_embedded_subsets_and_no_glyph_is_missing(notice: Notice) -> None:
    reader = PdfReader(io.BytesIO(notice.data))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert len(fonts) >= 4  # 小标宋, 仿宋, 黑体, 楷体 (and 宋体 digits)
    for name, font in fonts.items():
        assert font["/Subtype"] == "/Type0" and name[7] == "+"
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
    text = "".join(page_text(page) for page in open_pdf(notice.data))
    for paragraph in BODY.split("\n"):
        assert all(char in text for char in paragraph)
    assert "〓" not in text and "\ufffd" not in text


async def test_a_request_names_its_signer_level_with_the_number(
        request_doc: tuple[Issued, bytes]) -> None:
    made, data = request_doc
    number = made.document["doc_number"]
    lines = lines_of(data, 0)
    row = line_with(lines, number)
    assert row[0].startswith(number) and row[0].endswith(made.signer.person["display_name"])
    assert "签发人：" in row[0]
    assert row[1] == pytest.approx(28 + 156 / 28, abs=1)  # 居左空一字
    assert row[3] == pytest.approx(184 - 156 / 28, abs=2)  # 居右空一字 (ink of a Latin name)
    assert not any(s.kind == "image" for page in open_pdf(data) for s in shapes(page))


# -- verification ------------------------------------------------------------------------------

async def test_the_issued_pdf_verifies_on_the_server(notice: Notice) -> None:
    report = await notice.their_clerk.client.verify_document_pdf(notice.data)
    assert report["valid"] is True, report["problems"]
    signature, document = report["signature"], report["document"]
    assert signature["trusted"] and signature["covers_whole_file"] and not signature["revoked"]
    assert signature["unit"] == {"id": notice.made.unit, "name": signature["unit"]["name"]}
    assert signature["certificate"]["serial"] == \
        notice.made.document["issued_pdf"]["certificate_serial"]
    assert document["number"] == notice.made.document["doc_number"]
    assert document["content_sha256"] == notice.made.document["content_sha256"]
    assert report["content"]["hash_matches"] and report["issued_record"] == {
        "found": True, "file_matches": True, "content_matches": True}
    steps = [(d["step"], d["decision"], d["valid"], d["signed_issued_content"])
             for d in report["decisions"]]
    assert steps == [("签发", "approve", True, True)]


async def test_embedded_decisions_verify_offline_with_the_client_alone(notice: Notice) -> None:
    from tongban_client.pdfverify import verify_issued_pdf

    client = notice.their_clerk.client
    ca_pem, crl_pem = await client.ca_certificate(), await client.ca_crl()
    report = await asyncio.to_thread(verify_issued_pdf, notice.data, ca_pem=ca_pem,
                                     crl_pem=crl_pem)
    assert report["valid"] is True, report["problems"]
    [decision] = report["decisions"]
    assert decision["valid"] and decision["person"]["id"] == notice.made.signer.id
    assert report["document"]["number"] == notice.made.document["doc_number"]


async def test_one_changed_byte_fails_verification(notice: Notice) -> None:
    from tongban_client.pdfverify import verify_issued_pdf

    tampered = flipped_bytes(notice.data)
    report = await notice.their_clerk.client.verify_document_pdf(tampered)
    assert report["valid"] is False
    assert any("signed bytes were changed" in p for p in report["problems"])
    offline = await asyncio.to_thread(verify_issued_pdf, tampered,
                                      ca_pem=await notice.their_clerk.client.ca_certificate())
    assert offline["valid"] is False


async def test_an_appended_page_fails_verification(notice: Notice) -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(notice.data))
    writer.insert_page(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Page"),
        generic.pdf_name("/MediaBox"): generic.ArrayObject(
            [generic.NumberObject(v) for v in (0, 0, 595, 842)]),
        generic.pdf_name("/Resources"): generic.DictionaryObject()}))
    out = io.BytesIO()
    writer.write(out)
    report = await notice.their_clerk.client.verify_document_pdf(out.getvalue())
    assert report["valid"] is False and report["signature"]["intact"] is True
    assert any("changed after it was signed" in p for p in report["problems"])


async def test_a_certificate_from_another_ca_fails_verification(
        notice: Notice, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from cryptography import x509

    from documents.artifact import ca
    from documents.artifact.sign import sign_pdf

    now, secret = datetime.now(UTC), b"another deployment"
    foreign = ca.init_ca(tmp_path, name="别处", secret=secret, now=now)
    made = ca.issue_unit(tmp_path, unit_id=notice.made.unit, unit_name="冒用的单位",
                         secret=secret, now=now)
    unsigned = notice.data[:notice.data.index(b"%%EOF") + 5]  # the revision before signing
    forged = await asyncio.to_thread(
        sign_pdf, unsigned, key=ca.load_key(made.key_path, secret),
                      cert=x509.load_pem_x509_certificate(made.cert_pem), ca=foreign,
                      signer_name="冒用的单位", reason="伪造", location="别处")
    report = await notice.their_clerk.client.verify_document_pdf(forged)
    assert report["valid"] is False and report["signature"]["trusted"] is False
    assert any("not issued by a trusted CA" in p for p in report["problems"])


async def test_a_revoked_unit_certificate_fails_and_the_next_document_gets_a_new_one(
        team: Team, admin: TongbanClient) -> None:
    from tongban_client.pdfverify import verify_issued_pdf

    made = await issued(team.office, team.official, admin, body="请认真贯彻执行。",
                        title="关于撤销证书测试的通知")
    data = await made.clerk.client.download_document_pdf(made.document["id"])
    serial = made.document["issued_pdf"]["certificate_serial"]
    await refused(made.clerk.client.revoke_certificate(serial), 403, "not-admin")
    revoked = await admin.revoke_certificate(serial, reason="密钥泄露")
    assert revoked["revoked_at"] and revoked["revoke_reason"] == "密钥泄露"
    report = await made.clerk.client.verify_document_pdf(data)
    assert report["valid"] is False and report["signature"]["revoked"] is True
    offline = await asyncio.to_thread(verify_issued_pdf, data,
                                      ca_pem=await admin.ca_certificate(),
                                      crl_pem=await admin.ca_crl())
    assert offline["valid"] is False and offline["signature"]["revoked"] is True
    later = await issued(lambda *_: _same(made.unit), team.official, admin, seal=False,
                         body="请继续执行。", title="关于换发证书后的通知")
    assert later.document["issued_pdf"]["certificate_serial"] != serial
    fresh = await later.clerk.client.download_document_pdf(later.document["id"])
    assert (await later.clerk.client.verify_document_pdf(fresh))["valid"] is True


async def _same(unit: int) -> int:
    return unit


# -- reading -----------------------------------------------------------------------------------

async def test_recipients_get_the_signed_pdf_as_the_original(notice: Notice) -> None:
    client = notice.their_clerk.client
    incoming = await client.get_document(notice.incoming_id)
    assert incoming["issued_pdf"]["sha256"] == notice.made.document["issued_pdf"]["sha256"]
    assert await client.download_document_pdf(notice.incoming_id) == notice.data
    assert await client.download_file(incoming["issued_pdf"]["file_id"]) == notice.data


async def test_previews_are_paged_and_watermarked_with_each_viewer(notice: Notice) -> None:
    import pypdfium2 as pdfium

    drafter, recipient = notice.made.drafter, notice.their_clerk
    listed = await recipient.client.document_previews(notice.incoming_id, width=700, limit=2)
    assert listed["pages"] == len(open_pdf(notice.data)) and len(listed["items"]) == 2
    assert listed["items"][0]["width"] == 720 and listed["next_cursor"]
    rest = await recipient.client.document_previews(notice.incoming_id, width=700,
                                                    cursor=listed["next_cursor"])
    assert [i["page"] for i in rest["items"]] == list(range(3, listed["pages"] + 1))
    images = {}
    for viewer, document_id in ((drafter, notice.id), (recipient, notice.incoming_id)):
        for page in range(1, listed["pages"] + 1):
            data = await viewer.client.document_preview(document_id, page, width=720)
            image = Image.open(io.BytesIO(data))
            assert image.format == "JPEG" and image.width == 720
            assert viewer.person["display_name"] in image.info["comment"].decode()
            images[(viewer.id, page)] = image.convert("L")
    plain = pdfium.PdfDocument(notice.data)[0]
    clean = plain.render(scale=720 / plain.get_width()).to_pil().convert("L")
    for viewer in (drafter, recipient):
        marked = ImageChops.difference(images[(viewer.id, 1)], clean).point(
            lambda v: 255 if v > 40 else 0)
        assert marked.histogram()[255] > 2000  # the watermark covers the page
    between = ImageChops.difference(images[(drafter.id, 1)], images[(recipient.id, 1)])
    assert between.getbbox() is not None


async def test_search_finds_text_in_the_pdf_with_boxes_to_highlight(notice: Notice) -> None:
    found = await notice.their_clerk.client.search_document_pdf(notice.incoming_id, "一网通办")
    assert found["hits"] and found["hits"][0]["page"] == 1
    for hit in found["hits"]:
        assert "一网通办" in hit["snippet"]
        assert all(0 <= v <= 1 for box in hit["boxes"] for v in box)
    attachment = await notice.their_clerk.client.search_document_pdf(notice.incoming_id, "1234")
    assert attachment["hits"][0]["page"] >= 3
    none = await notice.their_clerk.client.search_document_pdf(notice.incoming_id, "不存在的词")
    assert none["hits"] == []


async def test_people_who_may_not_see_the_document_get_404(
        notice: Notice, team: Team) -> None:
    outsider = await team.official(await team.office())
    file_id = notice.made.document["issued_pdf"]["file_id"]
    for document_id in (notice.id, notice.incoming_id):
        client = outsider.client
        await refused(client.download_document_pdf(document_id), 404)
        await refused(client.document_artifact(document_id), 404)
        await refused(client.document_previews(document_id), 404)
        await refused(client.document_preview(document_id, 1), 404)
        await refused(client.search_document_pdf(document_id, "通知"), 404)
        await refused(client.download_document_ofd(document_id), 404)
    await refused(outsider.client.download_file(file_id), 404)
    await refused(notice.their_clerk.client.document_preview(notice.incoming_id, 99), 404)


async def test_the_same_pages_are_exported_as_ofd(notice: Notice) -> None:
    import zipfile
    from xml.dom.minidom import parseString

    data = await notice.their_clerk.client.download_document_ofd(notice.incoming_id)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names[0] == "OFD.xml" and "Doc_0/Document.xml" in names
    pages = [n for n in names if n.endswith("/Content.xml")]
    assert len(pages) == len(open_pdf(notice.data))
    fonts = [n for n in names if n.startswith("Doc_0/Res/font_")]
    assert len(fonts) >= 4 and "Doc_0/Res/seal_0.png" in names
    documents = {n: parseString(archive.read(n)) for n in names if n.endswith(".xml")}
    first = documents["Doc_0/Pages/Page_0/Content.xml"]
    texts = "".join(node.firstChild.data for node in first.getElementsByTagName("ofd:TextCode"))
    assert MARK + "文件" in texts and notice.made.document["doc_number"] in texts
    red = [c.getAttribute("Value") for c in first.getElementsByTagName("ofd:StrokeColor")]
    assert "255 0 0" in red  # the separator


# -- issuing side ------------------------------------------------------------------------------

async def test_rendering_again_is_refused_once_the_pdf_exists(notice: Notice) -> None:
    await refused(notice.made.clerk.client.render_document(notice.id), 409, "already-rendered")
    await refused(notice.made.drafter.client.render_document(notice.id), 403, "not-a-clerk")
    await refused(notice.their_clerk.client.render_document(notice.incoming_id), 409)


async def test_seal_uploads_are_checked_and_a_bad_one_changes_nothing(
        team: Team, admin: TongbanClient) -> None:
    unit = await team.office()
    clerk = await team.official(unit, ["clerk"])
    jpeg = io.BytesIO()
    Image.new("RGB", (300, 300), (200, 0, 0)).save(jpeg, "JPEG")
    await refused(admin.upload_seal(unit, jpeg.getvalue()), 415, "seal-not-png")
    await refused(admin.upload_seal(unit, seal_png(alpha=False)), 422, "seal-not-transparent")
    await refused(admin.upload_seal(unit, seal_png((20, 40, 200))), 422, "seal-not-red")
    await refused(admin.upload_seal(unit, seal_png(size=60)), 422, "seal-size")
    blank = io.BytesIO()
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(blank, "PNG")
    await refused(admin.upload_seal(unit, blank.getvalue()), 422, "seal-blank")
    bomb = bytearray(seal_png())
    bomb[16:24] = (100_000).to_bytes(4, "big") * 2  # a header declaring 100,000² pixels
    await refused(admin.upload_seal(unit, bytes(bomb)), 422, "seal-size")
    await refused(clerk.client.upload_seal(unit, seal_png()), 403)
    assert (await clerk.client.get_issuer(unit))["seal"] is None
    saved = await admin.upload_seal(unit, seal_png())
    assert saved["seal"]["sha256"] and saved["seal"]["diameter_mm"] == 42
    edited = await admin.edit_issuer(unit, mark="测试联合办公室", mark_suffix="",
                                     seal_diameter_mm=45)
    assert (edited["mark"], edited["mark_suffix"], edited["seal"]["diameter_mm"]) == (
        "测试联合办公室", "", 45)
    await refused(admin.edit_issuer(unit, seal_diameter_mm=90), 422)
    await refused(admin.edit_issuer(unit, colour="red"), 422)


async def test_the_ca_certificate_and_revocation_list_are_public(server: Server) -> None:
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app),
                                 base_url="http://test") as anonymous:
        cert = await anonymous.get("/v1/ca/certificate")
        crl = await anonymous.get("/v1/ca/crl")
    assert cert.status_code == 200 and cert.content.startswith(b"-----BEGIN CERTIFICATE")
    assert crl.status_code == 200 and crl.content.startswith(b"-----BEGIN X509 CRL")
