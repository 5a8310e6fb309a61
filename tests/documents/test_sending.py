"""Sending (发文): sign-off bound to the version's hash, 复核 back to the signer, numbering,
distribution to units and people, archive; and the refusals on the way."""

from __future__ import annotations

from datetime import datetime

from documents_helpers import (
    MakeOffice, MakeOfficial, audit_actions, draft, office, officials, refused, signed, step,
    upload_text,
)

from documents.policy import CHINA

__all__ = ["office", "officials"]


def this_year() -> int:
    return datetime.now(CHINA).year


async def test_a_draft_is_signed_on_devices_numbered_and_distributed(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit, city = await office(), await office("city")
    drafter, reviewer = await officials(unit), await officials(unit)
    signer, clerk = await officials(unit, ["leader"]), await officials(unit, ["clerk"])
    city_clerk = await officials(city, ["clerk"])
    document = await draft(drafter, unit, doc_type="请示", signer_id=signer.id,
                           main_units=[city])
    marks = {o.id: await o.mark() for o in (drafter, clerk, city_clerk)}
    submitted = await drafter.client.submit_document(document["id"],
                                                     [step("核稿", people=[reviewer.id])])
    assert submitted["state"] == "reviewing"
    chain = await reviewer.client.get_chain(submitted["chain"]["id"])
    assert [s["label"] for s in chain["steps"]] == ["核稿", "签发"]
    assert chain["content_sha256"] == document["content_sha256"]
    await reviewer.sign(document["id"])
    assert (await drafter.client.get_document(document["id"]))["state"] == "reviewing"
    await signer.sign(document["id"], comment="同意上报")
    shown = await clerk.client.get_document(document["id"])
    assert shown["state"] == "signed" and shown["signed_by"]["id"] == signer.id
    assert shown["signed_sha256"] == shown["content_sha256"]
    series = await clerk.client.create_document_series(unit, "测县府发")
    issued = await clerk.client.issue_document(document["id"], series["id"])
    assert issued["doc_number"] == f"测县府发〔{this_year()}〕1号"
    assert (issued["state"], issued["number_seq"]) == ("issued", 1)
    sent = await clerk.client.distribute_document(document["id"])
    [delivery] = sent["deliveries"]
    assert delivery["unit"]["id"] == city and delivery["status"] == "delivered"
    incoming = (await city_clerk.client.list_documents(direction="incoming"))["items"][0]
    assert incoming["source_id"] == document["id"] and incoming["state"] == "delivered"
    assert delivery["recipient_document_id"] == incoming["id"]  # the answer names their copy
    assert incoming["doc_number"] == issued["doc_number"]
    assert await audit_actions(document["id"]) == [
        "document.create", "document.submit", "document.sign", "document.issue",
        "document.render", "document.distribute"]
    kinds = {o.id: [e["kind"] for e in await o.events_since(marks[o.id])
                    if e["kind"].startswith("document.")] for o in (drafter, clerk, city_clerk)}
    assert kinds[drafter.id] == ["document.signed", "document.issued", "document.rendered"]
    assert kinds[clerk.id] == ["document.signed", "document.issued", "document.rendered"]
    assert kinds[city_clerk.id] == ["document.delivered"]
    [delivered] = [e for e in await city_clerk.events_since(marks[city_clerk.id])
                   if e["kind"] == "document.delivered"]
    assert delivered["data"]["document_id"] == incoming["id"]  # and so does their event


async def test_a_signature_over_another_version_is_refused(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, reviewer, signer = [await officials(unit) for _ in range(3)]
    document = await draft(drafter, unit, signer_id=signer.id)
    submitted = await drafter.client.submit_document(document["id"],
                                                     [step("核稿", people=[reviewer.id])])
    chain = await reviewer.client.get_chain(submitted["chain"]["id"])
    edited = await drafter.client.edit_document(document["id"], title="关于修改后的通知")
    assert edited["content_sha256"] != document["content_sha256"]
    stale = reviewer.client.decide(chain["id"], chain["current_step_id"], "approve",
                                   key=reviewer.key, content_sha256=document["content_sha256"])
    await refused(stale, 409, "content-changed")
    forged = reviewer.client.decide(chain["id"], chain["current_step_id"], "approve",
                                    key=reviewer.key, content_sha256="0" * 64)
    await refused(forged, 409, "content-changed")
    await reviewer.sign(document["id"])
    await signer.sign(document["id"])
    final = await drafter.client.get_document(document["id"])
    assert final["state"] == "signed" and final["signed_sha256"] == edited["content_sha256"]


async def test_a_change_after_signing_goes_back_to_the_signer(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    document = await signed(drafter, signer, unit)
    mark = await signer.mark()
    annex = await upload_text(clerk, "复核时补充的附件")
    changed = await clerk.client.edit_document(document["id"], attachment_ids=[annex["id"]])
    assert changed["state"] == "resigning" and changed["version"] == 2
    assert changed["chain"]["purpose"] == "resign"
    pending = [e for e in await signer.events_since(mark) if e["kind"] == "approval.pending"]
    assert [e["data"]["label"] for e in pending] == ["签发"]
    series = await clerk.client.create_document_series(unit, "测复核发")
    await refused(clerk.client.issue_document(document["id"], series["id"]), 409,
                  "document-state")
    await signer.sign(document["id"])
    final = await clerk.client.get_document(document["id"])
    assert final["state"] == "signed" and final["signed_sha256"] == changed["content_sha256"]
    assert (await clerk.client.issue_document(document["id"], series["id"]))["number_seq"] == 1


async def test_a_returned_draft_is_changed_and_submitted_again(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, reviewer, signer = [await officials(unit) for _ in range(3)]
    document = await draft(drafter, unit, signer_id=signer.id)
    await drafter.client.submit_document(document["id"], [step("核稿", people=[reviewer.id])])
    mark = await drafter.mark()
    await reviewer.sign(document["id"], "return", comment="请补充依据")
    returned = await drafter.client.get_document(document["id"])
    assert returned["state"] == "returned"
    [event] = [e for e in await drafter.events_since(mark) if e["kind"] == "document.returned"]
    assert event["data"]["comment"] == "请补充依据" and event["data"]["by"] == reviewer.id
    old_chain = returned["chain"]["id"]
    await drafter.client.edit_document(document["id"], note="依据：防汛条例")
    again = await drafter.client.submit_document(document["id"],
                                                 [step("核稿", people=[reviewer.id])])
    assert again["state"] == "reviewing" and again["chain"]["id"] != old_chain
    assert (await drafter.client.get_chain(old_chain))["state"] == "withdrawn"
    await reviewer.sign(document["id"])
    await signer.sign(document["id"])
    assert (await drafter.client.get_document(document["id"]))["state"] == "signed"


async def test_submitting_needs_a_signing_step_for_the_named_signer(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit = await office()
    drafter, signer, someone = [await officials(unit) for _ in range(3)]
    unsigned = await draft(drafter, unit)
    await refused(drafter.client.submit_document(unsigned["id"]), 422, "signing-step-required")
    named = await draft(drafter, unit, signer_id=signer.id)
    await refused(drafter.client.submit_document(named["id"], [step("签发", people=[someone.id])]),
                  422, "signer-not-on-step")
    await refused(drafter.client.submit_document(
        named["id"], [step("签发", people=[signer.id]), step("核稿", people=[someone.id])]),
        422, "signing-step-last")
    await refused(someone.client.submit_document(named["id"]), 404)
    submitted = await drafter.client.submit_document(named["id"])
    await refused(drafter.client.submit_document(named["id"]), 409, "document-state")
    assert submitted["state"] == "reviewing"


async def test_issuing_and_distributing_belong_to_the_desk_in_order(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit, city, empty = await office(), await office("city"), await office("city")
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    await officials(city, ["clerk"])
    series = await clerk.client.create_document_series(unit, "测序发")
    document = await draft(drafter, unit, signer_id=signer.id)
    await refused(clerk.client.issue_document(document["id"], series["id"]), 409,
                  "document-state")
    await refused(clerk.client.distribute_document(document["id"], units=[city]), 409)
    await drafter.client.submit_document(document["id"])
    await signer.sign(document["id"])
    await refused(drafter.client.issue_document(document["id"], series["id"]), 404)
    await refused(clerk.client.create_document_series(unit, "测序发"), 409, "series-exists")
    other = await clerk.client.create_document_series(unit, "收文甲", kind="incoming")
    await refused(clerk.client.issue_document(document["id"], other["id"]), 422)
    await clerk.client.issue_document(document["id"], series["id"])
    await refused(clerk.client.issue_document(document["id"], series["id"]), 409)
    await refused(clerk.client.distribute_document(document["id"]), 422, "no-recipients")
    await refused(clerk.client.distribute_document(document["id"], units=[empty]), 422,
                  "no-document-desk")
    await refused(clerk.client.distribute_document(document["id"], units=[unit]), 422)
    await clerk.client.distribute_document(document["id"], units=[city])
    again = await clerk.client.distribute_document(document["id"], units=[city])
    assert again["deliveries"] == []


async def test_an_internal_document_goes_only_to_its_recipients(
    office: MakeOffice, officials: MakeOfficial,
) -> None:
    unit, city, elsewhere = await office(), await office("city"), await office("city")
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    await officials(city, ["clerk"])
    await officials(elsewhere, ["clerk"])
    city_person, outsider = await officials(city), await officials(elsewhere)
    document = await signed(drafter, signer, unit, secrecy="内部", main_units=[city])
    series = await clerk.client.create_document_series(unit, "测内发")
    await clerk.client.issue_document(document["id"], series["id"])
    await refused(clerk.client.distribute_document(document["id"], units=[elsewhere]), 422,
                  "internal-recipients")
    await refused(clerk.client.distribute_document(document["id"], people=[outsider.id]), 422,
                  "internal-recipients")
    await clerk.client.distribute_document(document["id"], units=[city], people=[city_person.id])
    await refused(outsider.client.get_document(document["id"]), 404)
    mine = await city_person.client.get_document(document["id"])
    assert mine["my_delivery"]["status"] == "delivered"
    await city_person.client.receive_document(document["id"])
    await refused(city_person.client.receive_document(document["id"]), 409, "already-received")
    deliveries = (await clerk.client.document_deliveries(document["id"]))["items"]
    personal = [d for d in deliveries if d["person"]]
    assert personal[0]["received_by"]["id"] == city_person.id and personal[0]["received_at"]


async def test_an_archived_document_is_read_only(office: MakeOffice,
                                                 officials: MakeOfficial) -> None:
    unit = await office()
    drafter, signer, clerk = [await officials(unit, r) for r in ([], ["leader"], ["clerk"])]
    document = await signed(drafter, signer, unit)
    await refused(clerk.client.archive_document(document["id"]), 409, "document-state")
    series = await clerk.client.create_document_series(unit, "测档发")
    await clerk.client.issue_document(document["id"], series["id"])
    archived = await clerk.client.archive_document(document["id"])
    assert archived["state"] == "archived" and archived["archived_at"]
    for call in (clerk.client.edit_document(document["id"], title="改"),
                 clerk.client.archive_document(document["id"]),
                 clerk.client.distribute_document(document["id"], units=[unit]),
                 drafter.client.submit_document(document["id"]),
                 clerk.client.circulate_document(document["id"], [drafter.id])):
        await refused(call, 409, "document-archived")
    assert (await drafter.client.get_document(document["id"]))["title"] == document["title"]
