"""Drafting (拟稿): the GB/T 9704 elements and their rules, immutable versions with a hash over
everything, the history of who changed what, and 404 for anyone else."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

from conftest import Server
from documents_helpers import (
    MakeOffice, MakeOfficial, audit_actions, draft, office, officials, refused, upload_text,
)

from core.clock import clock

__all__ = ["office", "officials"]


async def test_create_document_stores_version_one_with_its_elements(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit, main = await office(), await office("city")
    drafter, signer = await officials(unit), await officials(unit, ["leader"])
    body = await upload_text(drafter, "关于请求拨付防汛资金的请示正文")
    annex = await upload_text(drafter, "附件一：资金测算表", "附件1.txt")
    document = await drafter.client.create_document(
        unit, "请示", "关于请求拨付防汛资金的请示", urgency="加急",
        deadline="2099-07-01T08:00:00+08:00", signer_id=signer.id, main_units=[main],
        written_on="2026-06-01", note="联系人：张三", printed_by="县政府办公室",
        printed_on="2026-06-02", copies=3, secrecy="内部", body_file_id=body["id"],
        attachment_ids=[annex["id"]],
    )
    assert document["doc_type"] == "request" and document["doc_type_label"] == "请示"
    assert document["urgency"] == "urgent" and document["urgency_label"] == "加急"
    assert document["secrecy"] == "internal" and document["state"] == "draft"
    assert document["signer"]["id"] == signer.id and document["version"] == 1
    assert [u["id"] for u in document["main_units"]] == [main]
    assert document["body"]["id"] == body["id"]
    assert [f["id"] for f in document["attachments"]] == [annex["id"]]
    assert document["deadline"] == "2099-07-01T00:00:00+00:00"
    assert (document["written_on"], document["copies"]) == ("2026-06-01", 3)
    versions = await drafter.client.document_versions(document["id"])
    [first] = versions["items"]
    assert first["content_sha256"] == document["content_sha256"]
    assert first["created_by"]["id"] == drafter.id
    assert await audit_actions(document["id"]) == ["document.create"]


async def test_the_hash_covers_the_files_bytes(office: MakeOffice,
                                               officials: MakeOfficial) -> None:
    unit = await office()
    drafter = await officials(unit)
    one = await draft(drafter, unit, body="同样的标题，不同的正文一")
    two = await draft(drafter, unit, body="同样的标题，不同的正文二", title=one["title"])
    assert one["body"]["sha256"] == hashlib.sha256("同样的标题，不同的正文一".encode()).hexdigest()
    assert one["content_sha256"] != two["content_sha256"]


async def test_classified_levels_are_refused(office: MakeOffice,
                                             officials: MakeOfficial) -> None:
    unit = await office()
    drafter = await officials(unit)
    for level in ("秘密", "机密", "绝密", "secret", "confidential", "top_secret"):
        await refused(draft(drafter, unit, secrecy=level), 422, "classified-refused")
    internal = await draft(drafter, unit, secrecy="internal")
    assert internal["secrecy_label"] == "内部"
    await refused(drafter.client.edit_document(internal["id"], secrecy="机密"), 422,
                  "classified-refused")


async def test_the_rules_of_the_elements_are_enforced(office: MakeOffice,
                                                      officials: MakeOfficial) -> None:
    unit = await office()
    drafter = await officials(unit)
    await refused(draft(drafter, unit, doc_type="请示"), 422, "signer-required")
    await refused(draft(drafter, unit, doc_type="报告"), 422, "signer-required")
    await refused(draft(drafter, unit, urgency="特急"), 422, "deadline-required")
    await refused(draft(drafter, unit, deadline="2001-01-01T00:00:00+00:00"), 422,
                  "deadline-in-past")
    await refused(draft(drafter, unit, written_on="2026-06-02", printed_on="2026-06-01"), 422,
                  "printed-before-written")
    await refused(draft(drafter, unit, doc_type="备忘录"), 422)
    await refused(draft(drafter, unit, main_units=[999_999_999]), 422, "unknown-unit")
    await refused(draft(drafter, unit, main_units=[unit], cc_units=[unit]), 422,
                  "duplicate-unit")
    stranger_unit = await office()
    await refused(draft(drafter, stranger_unit), 403, "not-in-unit")
    other = await officials(unit)
    theirs = await upload_text(other, "别人的文件")
    await refused(draft(drafter, unit, attachment_ids=[theirs["id"]]), 422)
    document = await draft(drafter, unit)
    await refused(drafter.client.edit_document(document["id"], title=None), 422)


async def test_edits_make_versions_with_a_history_of_who_changed_what(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, clerk = await officials(unit), await officials(unit, ["clerk"])
    document = await draft(drafter, unit, body="第一稿")
    same = await drafter.client.edit_document(document["id"], title=document["title"])
    assert same["version"] == 1
    second = await clerk.client.edit_document(document["id"], title="关于调整后的通知",
                                              copies=5)
    new_body = await upload_text(drafter, "第二稿")
    third = await drafter.client.edit_document(document["id"], body_file_id=new_body["id"])
    assert (second["version"], third["version"]) == (2, 3)
    assert len({document["content_sha256"], second["content_sha256"],
                third["content_sha256"]}) == 3
    history = (await drafter.client.document_versions(document["id"]))["items"]
    assert [v["number"] for v in history] == [3, 2, 1]
    assert history[0]["changed"] == ["body"] and history[0]["created_by"]["id"] == drafter.id
    assert history[1]["changed"] == ["title", "copies"]
    assert history[1]["created_by"]["id"] == clerk.id
    first = await drafter.client.document_version(document["id"], 1)
    assert first["elements"]["title"] == document["title"] and first["body_file_id"] == \
        document["body"]["id"]
    assert await audit_actions(document["id"]) == ["document.create", "document.edit",
                                                   "document.edit"]
    assert json.loads(json.dumps(third))["body"]["name"] == "正文.txt"


async def test_a_stranger_gets_404_for_the_document_its_versions_and_files(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, colleague = await officials(unit), await officials(unit)
    stranger = await officials(await office())
    document = await draft(drafter, unit)
    file_id = document["body"]["id"]
    for viewer in (stranger, colleague):  # a colleague who is not at the desk sees no drafts
        await refused(viewer.client.get_document(document["id"]), 404)
        await refused(viewer.client.document_versions(document["id"]), 404)
        await refused(viewer.client.document_version(document["id"], 1), 404)
        await refused(viewer.client.download_file(file_id), 404)
        await refused(viewer.client.edit_document(document["id"], title="改"), 404)
        found = await viewer.client.list_documents()
        assert document["id"] not in [d["id"] for d in found["items"]]
    clerk = await officials(unit, ["clerk"])
    assert (await clerk.client.get_document(document["id"]))["id"] == document["id"]
    assert await clerk.client.download_file(file_id)
    await refused(drafter.client.get_document(99_999_999_999), 404)
    await refused(drafter.client.document_version(document["id"], 7), 404)


async def test_a_retried_draft_with_its_idempotency_key_makes_nothing_new(
    office: MakeOffice, officials: MakeOfficial, server: Server,
) -> None:
    unit = await office()
    drafter = await officials(unit)
    first, again = await asyncio.gather(*(drafter.client.create_document(
        unit, "函", "关于商请支持的函", idempotency_key="draft-0001") for _ in range(2)))
    third = await drafter.client.create_document(unit, "函", "关于商请支持的函",
                                                 idempotency_key="draft-0001")
    assert first["id"] == again["id"] == third["id"]
    assert await audit_actions(first["id"]) == ["document.create"]
    other = await drafter.client.create_document(unit, "函", "关于商请支持的函",
                                                 idempotency_key="draft-0002")
    assert other["id"] != first["id"]
    await refused(drafter.client.create_document(unit, "函", "函", idempotency_key="k" * 200),
                  400, "bad-idempotency-key")
    document = server.app.state.openapi
    for path in ("/v1/documents", "/v1/documents/{document_id}/submit",
                 "/v1/documents/{document_id}/circulations/{circulation_id}/read",
                 "/v1/documents/registers/{kind}/export"):
        assert path in document["paths"]


async def test_a_deadline_that_has_passed_since_does_not_block_other_edits(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter = await officials(unit)
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    document = await draft(drafter, unit, urgency="加急", deadline=soon)
    clock.advance(timedelta(hours=2))
    try:
        edited = await drafter.client.edit_document(document["id"], title="关于延后处理的通知")
        await refused(drafter.client.edit_document(
            document["id"], deadline=(datetime.now(UTC) + timedelta(minutes=30)).isoformat()),
            422, "deadline-in-past")
    finally:
        clock.offset = timedelta(0)
    assert edited["version"] == 2 and edited["overdue"] is True


async def test_a_document_without_a_body_cannot_be_signed_or_issued(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, signer = await officials(unit), await officials(unit, ["leader"])
    bare = await drafter.client.create_document(unit, "notice", "无正文的通知",
                                                signer_id=signer.id)
    await refused(drafter.client.submit_document(bare["id"]), 422, "empty-body")
    empty = await drafter.client.upload_file(b"", "empty.txt", "text/plain")
    await drafter.client.edit_document(bare["id"], body_file_id=empty["id"])
    await refused(drafter.client.submit_document(bare["id"]), 422, "empty-body")
    document = await draft(drafter, unit, signer_id=signer.id)
    await drafter.client.submit_document(document["id"])  # under sign-off, the body stays
    await refused(drafter.client.edit_document(document["id"], body_file_id=None), 422,
                  "empty-body")
    assert (await drafter.client.get_document(document["id"]))["state"] == "reviewing"
