"""Chains through the client: 会签, 或签 under a race, 票签, returns, withdrawal, positions."""

from __future__ import annotations

import asyncio

import pytest
from approvals_helpers import MakeSigner, audit_actions, people, signers, start, step, two_steps
from conftest import Org
from tongban_client import ApiError, TongbanClient

__all__ = ["signers"]


async def test_countersign_of_three_completes_only_when_all_three_approve(
    signers: MakeSigner,
) -> None:
    initiator, a, b, c, watcher, outsider = [await signers() for _ in range(6)]
    marks = {s.id: await s.mark() for s in (initiator, a, b, c, watcher, outsider)}
    chain = await start(initiator, [step("会签", "all", people=people(a, b, c))],
                        cc=[watcher.id])
    for signer in (a, b, c):
        assert await signer.kinds_since(marks[signer.id], chain["id"]) == ["approval.pending"]
    await a.decide(chain)
    reply = await b.decide(chain)
    assert reply["chain"]["state"] == "running"
    shown = await initiator.client.get_chain(chain["id"])
    assert shown["steps"][0]["approvals"] == 2 and shown["steps"][0]["state"] == "open"
    reply = await c.decide(chain)
    assert reply["chain"]["state"] == "completed" and reply["chain"]["current_step_id"] is None
    shown = await initiator.client.get_chain(chain["id"])
    assert [x["state"] for x in shown["steps"][0]["assignees"]] == ["approved"] * 3
    assert len(shown["decisions"]) == 3
    for person in (initiator, watcher):
        kinds = await person.kinds_since(marks[person.id], chain["id"])
        assert kinds.count("approval.decided") == 3 and kinds[-1] == "approval.completed"
    assert await outsider.kinds_since(marks[outsider.id]) == []
    assert await audit_actions(chain["id"]) == ["approval.start"] + ["approval.decide"] * 3


async def test_or_sign_raced_by_two_completes_once(signers: MakeSigner) -> None:
    initiator, a, b, next_signer = [await signers() for _ in range(4)]
    for _ in range(3):
        chain = await start(initiator, [step("或签", "any", people=people(a, b)),
                                        step("签发", "one", people=[next_signer.id])])
        before = await next_signer.mark()
        results = await asyncio.gather(a.decide(chain), b.decide(chain), return_exceptions=True)
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, ApiError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].status == 409 and lost[0].type.endswith("/step-closed")
        shown = await initiator.client.get_chain(chain["id"])
        assert len(shown["decisions"]) == 1
        assert sorted(x["state"] for x in shown["steps"][0]["assignees"]) == [
            "approved", "cancelled"]
        assert shown["current_step_id"] == shown["steps"][1]["id"]
        assert await next_signer.kinds_since(before, chain["id"]) == ["approval.pending"]


async def test_countersign_approved_at_the_same_instant_by_all_completes_once(
    signers: MakeSigner,
) -> None:
    initiator, a, b, c = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b, c))])
    before = await initiator.mark()
    replies = await asyncio.gather(a.decide(chain), b.decide(chain), c.decide(chain))
    assert sorted(r["chain"]["state"] for r in replies) == ["completed", "running", "running"]
    kinds = await initiator.kinds_since(before, chain["id"])
    assert kinds.count("approval.completed") == 1 and kinds.count("approval.decided") == 3


async def test_a_decision_on_a_closed_step_is_409(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b)
    await a.decide(chain)
    with pytest.raises(ApiError) as caught:
        await a.decide(chain, comment="再次同意")
    assert caught.value.status == 409 and caught.value.type.endswith("/step-closed")


async def test_quorum_two_of_three_counts_approvals_and_a_vote_against(
    signers: MakeSigner,
) -> None:
    initiator, a, b, c = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("票签", "quorum", people=people(a, b, c), quorum=2)])
    await a.decide(chain, "reject", comment="不同意")
    assert (await initiator.client.get_chain(chain["id"]))["state"] == "running"
    await b.decide(chain)
    reply = await c.decide(chain)
    assert reply["chain"]["state"] == "completed"


async def test_a_rejection_ends_the_chain(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b)
    before = await initiator.mark()
    reply = await a.decide(chain, "reject", comment="不同意")
    assert reply["chain"]["state"] == "rejected"
    assert (await initiator.kinds_since(before, chain["id"]))[-1] == "approval.rejected"
    with pytest.raises(ApiError) as caught:
        await initiator.client.withdraw_chain(chain["id"])
    assert caught.value.status == 409


async def test_return_to_step_one_and_resume(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b)
    first, second = [s["id"] for s in chain["steps"]]
    await a.decide(chain)
    before_a, before_i = await a.mark(), await initiator.mark()
    reply = await b.decide(chain, "return", comment="请补充依据", step_id=second,
                           return_to_step=first)
    assert reply["chain"]["state"] == "running" and reply["chain"]["current_step_id"] == first
    assert await a.kinds_since(before_a, chain["id"]) == ["approval.pending"]
    assert "approval.returned" in await initiator.kinds_since(before_i, chain["id"])
    shown = await initiator.client.get_chain(chain["id"])
    assert [s["round"] for s in shown["steps"]] == [2, 1]
    assert [s["state"] for s in shown["steps"]] == ["open", "waiting"]
    await a.decide(chain, step_id=first, comment="已补充")
    reply = await b.decide(chain, step_id=second)
    assert reply["chain"]["state"] == "completed"


async def test_return_to_the_initiator_and_resubmit(signers: MakeSigner) -> None:
    initiator, a = [await signers() for _ in range(2)]
    chain = await start(initiator, [step("核稿", "one", people=[a.id])])
    reply = await a.decide(chain, "return", comment="退回修改")
    assert reply["chain"]["state"] == "returned"
    with pytest.raises(ApiError) as caught:
        await a.client.resubmit_chain(chain["id"])
    assert caught.value.status == 403
    resumed = await initiator.client.resubmit_chain(chain["id"])
    assert resumed["state"] == "running" and resumed["steps"][0]["round"] == 2
    assert (await a.decide(resumed))["chain"]["state"] == "completed"


async def test_withdraw_by_the_initiator_cancels_what_was_pending(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b))])
    await a.decide(chain)
    with pytest.raises(ApiError) as caught:
        await a.client.withdraw_chain(chain["id"])
    assert caught.value.status == 403
    before = await b.mark()
    withdrawn = await initiator.client.withdraw_chain(chain["id"], reason="情况有变")
    assert withdrawn["state"] == "withdrawn"
    assert withdrawn["steps"][0]["state"] == "cancelled"
    assert await b.kinds_since(before, chain["id"]) == ["approval.cancelled"]
    assert (await b.client.approvals_inbox())["counts"]["waiting"] == 0
    with pytest.raises(ApiError) as caught:
        await b.decide(chain)
    assert caught.value.status == 409
    assert (await audit_actions(chain["id"]))[-1] == "approval.withdraw"


async def test_a_position_is_resolved_when_its_step_opens(
    signers: MakeSigner, admin: TongbanClient, org: Org,
) -> None:
    unit = await admin.create_unit("审批测试科", org.county, "county")
    initiator, a = [await signers() for _ in range(2)]
    await signers(unit["id"], roles=["leader"], position="科长")
    chain = await start(initiator, [
        step("核稿", "one", people=[a.id]),
        step("签发", "one", positions=[{"unit_id": unit["id"]}]),
    ])
    later = await signers(unit["id"], position="副科长")
    await admin.post(f"/v1/org/people/{later.id}/positions",
                     {"unit_id": unit["id"], "title": "负责人", "roles": ["leader"]})
    reply = await a.decide(chain)
    shown = await initiator.client.get_chain(reply["chain"]["id"])
    seated = [x["person"]["id"] for x in shown["steps"][1]["assignees"]]
    assert later.id in seated and len(seated) == 2


@pytest.mark.parametrize(("steps", "field"), [
    ([step("核稿", "one", people=[999_999])], "people"),
    ([step("核稿", "one", positions=[{"unit_id": 999_999}])], "positions"),
    ([step("核稿", "quorum", people=[1], quorum=5)], "quorum"),
    ([{"label": "核稿", "mode": "all", "assignees": {"people": []}}], "assignees"),
    ([{"label": "核稿", "mode": "quorum", "assignees": {"people": [1]}}], "steps"),
])
async def test_a_chain_that_names_nobody_valid_is_422(
    signers: MakeSigner, steps: list[dict[str, object]], field: str,
) -> None:
    initiator = await signers()
    with pytest.raises(ApiError) as caught:
        await start(initiator, steps)
    assert caught.value.status == 422
    assert any(field in map(str, error["loc"]) for error in caught.value.errors)


async def test_only_ad_hoc_subjects_start_over_http(signers: MakeSigner) -> None:
    initiator, a = [await signers() for _ in range(2)]
    with pytest.raises(ApiError) as caught:
        await start(initiator, [step("核稿", "one", people=[a.id])], subject_type="document")
    assert caught.value.status == 422


async def test_starting_again_with_the_same_idempotency_key_returns_the_same_chain(
    signers: MakeSigner,
) -> None:
    initiator, a = [await signers() for _ in range(2)]
    first = await start(initiator, [step("核稿", "one", people=[a.id])], idempotency_key="k-1")
    again = await start(initiator, [step("核稿", "one", people=[a.id])], idempotency_key="k-1")
    assert again["id"] == first["id"]
    assert (await a.client.approvals_inbox())["counts"]["waiting"] == 1
