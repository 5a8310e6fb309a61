"""The issued document itself (版式文件): rendered per GB/T 9704 on issue, sealed, signed,
delivered as the 正本, previewed and searched on phones, and verifiable by anyone."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import Org, Server, make_person, logged_in
from documents_helpers import MakeOffice, MakeOfficial, office, officials, refused
from issued_helpers import (
    MM, glyphs, issued, line_text, open_pdf, page_lines, page_text, seal_png, shapes,
)
from tongban_client import TongbanClient

__all__ = ["office", "officials"]

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


async def test_issue_renders_a_signed_pdf_as_the_documents_original(
        admin: TongbanClient, office: MakeOffice, officials: MakeOfficial, org: Org) -> None:
    receiver = await office("city")
    made = await issued(office, officials, admin, body=BODY, doc_type="notice",
                        title="关于加快推进全省政务服务“一网通办”工作的通知",
                        main_units=[receiver], cc_units=[org.province],
                        written_on=date(2026, 11, 30), attachments=["一、事项清单\n共计1234项。"])
    pdf_info = made.document["issued_pdf"]
    assert pdf_info is not None and pdf_info["pages"] >= 2 and not pdf_info["missing_glyphs"]
    data = await made.clerk.client.download_document_pdf(made.document["id"])
    assert data.startswith(b"%PDF") and len(data) == pdf_info["size"]
    pdf = open_pdf(data)
    text = "\n".join(page_text(page) for page in pdf)
    assert made.document["doc_number"] in text
