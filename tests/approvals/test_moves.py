"""The other moves through the client: 转交, 加签, 拿回, 催办, 外出委托 and substantive edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from approvals_helpers import (
    MakeSigner, audit_actions, digest, people, signers, start, step, two_steps,
)
from tongban_client import ApiError

from core.clock import clock, utcnow

__all__ = ["signers"]


async def test_delegation_hands_my_place_to_someone_who_decides_for_me(
    signers: MakeSigner,
) -> None:
    initiator, a, deputy, b = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b))])
    before = await deputy.mark()
    shown = await a.client.delegate_step(chain["id"], chain["current_step_id"], deputy.id,
                                         reason="出差")
    seats = {x["person"]["id"]: x for x in shown["steps"][0]["assignees"]}
    assert seats[a.id]["state"] == "delegated"
    assert seats[deputy.id]["via"] == "delegated"
    assert seats[deputy.id]["on_behalf_of"]["id"] == a.id
    assert await deputy.kinds_since(before, chain["id"]) == ["approval.pending"]
    with pytest.raises(ApiError) as caught:
        await a.decide(chain)
    assert caught.value.status == 403
    reply = await deputy.decide(chain, comment="代为同意")
    assert reply["decision"]["on_behalf_of"] == a.id
    assert (await b.decide(chain))["chain"]["state"] == "completed"
    assert "approval.delegate" in await audit_actions(chain["id"])
    assert (await a.client.get_chain(chain["id"]))["id"] == chain["id"]  # still visible to a


async def test_delegating_to_someone_already_on_the_step_is_409(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b))])
    with pytest.raises(ApiError) as caught:
        await a.client.delegate_step(chain["id"], chain["current_step_id"], b.id)
    assert caught.value.status == 409


async def test_add_signers_after_the_current_step(signers: MakeSigner) -> None:
    initiator, a, extra, b = [await signers() for _ in range(4)]
    chain = await two_steps(initiator, a, b)
    shown = await a.client.add_signers(chain["id"], chain["current_step_id"], where="after",
                                       people=[extra.id], label="会签")
    assert [s["label"] for s in shown["steps"]] == ["核稿", "会签", "签发"]
    assert shown["steps"][1]["added_by"] == a.id
    before = await extra.mark()
    reply = await a.decide(chain)
    assert reply["chain"]["current_step_id"] == shown["steps"][1]["id"]
    assert await extra.kinds_since(before, chain["id"]) == ["approval.pending"]
    await extra.decide(chain, step_id=shown["steps"][1]["id"])
    assert (await b.decide(chain, step_id=shown["steps"][2]["id"]))["chain"]["state"] == \
        "completed"


async def test_add_signers_before_the_current_step_reopens_it_after_them(
    signers: MakeSigner,
) -> None:
    initiator, a, b, extra = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b))])
    original = chain["current_step_id"]
    await b.decide(chain)
    shown = await a.client.add_signers(chain["id"], original, where="before",
                                       people=[extra.id], mode="one")
    added = shown["steps"][0]
    assert shown["current_step_id"] == added["id"]
    assert shown["steps"][1]["state"] == "waiting"
    await extra.decide(chain, step_id=added["id"])
    shown = await initiator.client.get_chain(chain["id"])
    assert shown["current_step_id"] == original and shown["steps"][1]["round"] == 2
    await a.decide(chain, step_id=original)
    assert (await b.decide(chain, step_id=original))["chain"]["state"] == "completed"


async def test_someone_not_on_the_step_cannot_add_signers(signers: MakeSigner) -> None:
    initiator, a, b, c = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("核稿", "one", people=[a.id])], cc=[b.id])
    with pytest.raises(ApiError) as caught:
        await b.client.add_signers(chain["id"], chain["current_step_id"], where="after",
                                   people=[c.id])
    assert caught.value.status == 403


async def test_take_back_while_the_next_step_has_not_acted(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b)
    first = chain["current_step_id"]
    await a.decide(chain)
    before = await b.mark()
    shown = await a.client.take_back(chain["id"])
    assert shown["current_step_id"] == first
    assert [s["state"] for s in shown["steps"]] == ["open", "waiting"]
    assert await b.kinds_since(before, chain["id"]) == ["approval.cancelled"]
    assert [d["retracted"] for d in shown["decisions"]] == [True]
    assert (await b.client.approvals_inbox())["counts"]["waiting"] == 0
    await a.decide(chain, comment="修改后同意")
    await b.decide(chain, "reject", comment="不同意", step_id=chain["steps"][1]["id"])
    with pytest.raises(ApiError) as caught:
        await a.client.take_back(chain["id"])
    assert caught.value.status == 409
    assert "approval.take_back" in await audit_actions(chain["id"])


async def test_take_back_after_the_next_step_acted_is_409(signers: MakeSigner) -> None:
    initiator, a, b, c = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("核稿", "one", people=[a.id]),
                                    step("会签", "all", people=people(b, c))])
    await a.decide(chain)
    await b.decide(chain, step_id=chain["steps"][1]["id"])
    with pytest.raises(ApiError) as caught:
        await a.client.take_back(chain["id"])
    assert caught.value.status == 409 and caught.value.type.endswith("/nothing-to-take-back")


async def test_remind_is_rate_limited_per_chain(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b))])
    await a.decide(chain)
    before_a, before_b = await a.mark(), await b.mark()
    reply = await initiator.client.remind_chain(chain["id"], message="请尽快")
    assert reply["reminded"] == [b.id]
    assert await b.kinds_since(before_b, chain["id"]) == ["approval.reminded"]
    assert await a.kinds_since(before_a, chain["id"]) == []
    with pytest.raises(ApiError) as caught:
        await initiator.client.remind_chain(chain["id"])
    assert caught.value.status == 429 and 0 < (caught.value.retry_after or 0) <= 600
    with pytest.raises(ApiError) as caught:
        await a.client.remind_chain(chain["id"])
    assert caught.value.status == 403
    clock.advance(timedelta(minutes=11))
    try:
        assert (await initiator.client.remind_chain(chain["id"]))["reminded"] == [b.id]
    finally:
        clock.offset = timedelta(0)


async def test_out_of_office_sends_steps_opening_in_the_period_to_the_delegate(
    signers: MakeSigner,
) -> None:
    initiator, a, away, deputy = [await signers() for _ in range(4)]
    period = await away.client.set_out_of_office(
        deputy.id, starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow() + timedelta(days=2))
    assert (await away.client.list_out_of_office())["items"][0]["id"] == period["id"]
    chain = await two_steps(initiator, a, away)
    before = await deputy.mark()
    await a.decide(chain)
    assert await deputy.kinds_since(before, chain["id"]) == ["approval.pending"]
    shown = await initiator.client.get_chain(chain["id"])
    [seat] = shown["steps"][1]["assignees"]
    assert seat["person"]["id"] == deputy.id and seat["via"] == "out_of_office"
    assert seat["on_behalf_of"]["id"] == away.id
    reply = await deputy.decide(chain, step_id=shown["steps"][1]["id"])
    assert reply["decision"]["on_behalf_of"] == away.id
    assert reply["chain"]["state"] == "completed"
    await away.client.cancel_out_of_office(period["id"])
    assert (await away.client.list_out_of_office())["items"] == []


async def test_out_of_office_refuses_oneself_and_overlaps(signers: MakeSigner) -> None:
    away, deputy = [await signers() for _ in range(2)]
    now = utcnow()
    with pytest.raises(ApiError) as caught:
        await away.client.set_out_of_office(away.id, starts_at=now, ends_at=now + timedelta(1))
    assert caught.value.status == 422
    await away.client.set_out_of_office(deputy.id, starts_at=now, ends_at=now + timedelta(2))
    with pytest.raises(ApiError) as caught:
        await away.client.set_out_of_office(deputy.id, starts_at=now + timedelta(1),
                                            ends_at=now + timedelta(3))
    assert caught.value.status == 409


async def test_a_substantive_edit_sends_the_chain_back_and_marks_old_approvals_stale(
    signers: MakeSigner,
) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b, content=digest("v1"))
    await a.decide(chain)
    before = await b.mark()
    with pytest.raises(ApiError) as caught:
        await a.client.change_content(chain["id"], digest("v2"))
    assert caught.value.status == 403
    shown = await initiator.client.change_content(chain["id"], digest("v2"))
    assert shown["content_sha256"] == digest("v2")
    assert shown["current_step_id"] == chain["steps"][0]["id"]
    assert [d["stale"] for d in shown["decisions"]] == [True]
    assert await b.kinds_since(before, chain["id"]) == ["approval.cancelled"]
    with pytest.raises(ApiError) as caught:
        await a.decide(chain, content=digest("v1"))
    assert caught.value.status == 409 and caught.value.type.endswith("/content-changed")
    await a.decide(chain, content=digest("v2"))
    reply = await b.decide(chain, step_id=chain["steps"][1]["id"], content=digest("v2"))
    assert reply["chain"]["state"] == "completed"
