"""The inbox (待办/已办/我发起的) and who may see a chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from approvals_helpers import MakeSigner, people, signers, start, step, two_steps
from tongban_client import ApiError

from core.clock import utcnow

__all__ = ["signers"]


async def test_waiting_is_ordered_by_urgency_then_deadline_and_paged(
    signers: MakeSigner,
) -> None:
    initiator, me = await signers(), await signers()
    soon, later = utcnow() + timedelta(days=1), utcnow() + timedelta(days=3)
    made = {}
    for name, urgency, due in [("平件无期限", "normal", None), ("平件后", "normal", later),
                               ("特急", "critical", None), ("急件", "urgent", later),
                               ("平件先", "normal", soon)]:
        chain = await start(initiator, [step("核稿", "one", people=[me.id])], title=name,
                            urgency=urgency, due_at=due)
        made[name] = chain["id"]
    seen, cursor = [], None
    while True:
        box = await me.client.approvals_inbox("waiting", limit=2, cursor=cursor)
        seen += [item["chain"]["title"] for item in box["items"]]
        cursor = box["next_cursor"]
        if not cursor:
            break
    assert seen == ["特急", "急件", "平件先", "平件后", "平件无期限"]
    assert box["counts"] == {"waiting": 5, "done": 0, "started": 0}


async def test_done_and_started_boxes(signers: MakeSigner) -> None:
    initiator, me = await signers(), await signers()
    chain = await start(initiator, [step("核稿", "one", people=[me.id])])
    await me.decide(chain, comment="同意")
    done = await me.client.approvals_inbox("done")
    assert [(i["chain"]["id"], i["decision"]) for i in done["items"]] == [(chain["id"], "approve")]
    assert done["counts"] == {"waiting": 0, "done": 1, "started": 0}
    started = await initiator.client.approvals_inbox("started")
    assert [i["chain"]["id"] for i in started["items"]] == [chain["id"]]
    assert started["items"][0]["chain"]["state"] == "completed"


async def test_a_damaged_cursor_is_400(signers: MakeSigner) -> None:
    me = await signers()
    for box in ("waiting", "done"):
        with pytest.raises(ApiError) as caught:
            await me.client.approvals_inbox(box, cursor="%%%")
        assert caught.value.status == 400


async def test_outsiders_get_404_for_everything_about_a_chain(signers: MakeSigner) -> None:
    initiator, a, outsider = [await signers() for _ in range(3)]
    chain = await start(initiator, [step("核稿", "one", people=[a.id])])
    calls = [
        outsider.client.get_chain(chain["id"]),
        outsider.client.verify_chain(chain["id"]),
        outsider.decide(chain),
        outsider.client.withdraw_chain(chain["id"]),
        outsider.client.take_back(chain["id"]),
        outsider.client.remind_chain(chain["id"]),
        outsider.client.delegate_step(chain["id"], chain["current_step_id"], outsider.id),
    ]
    for call in calls:
        with pytest.raises(ApiError) as caught:
            await call
        assert caught.value.status == 404
    with pytest.raises(ApiError) as caught:
        await a.client.get_chain(999_999)
    assert caught.value.status == 404


async def test_initiator_assignees_watchers_and_delegates_may_see_it(
    signers: MakeSigner,
) -> None:
    initiator, a, b, watcher, deputy = [await signers() for _ in range(5)]
    chain = await two_steps(initiator, a, b, cc=[watcher.id])
    await a.client.delegate_step(chain["id"], chain["current_step_id"], deputy.id)
    for person in (initiator, a, watcher, deputy):
        assert (await person.client.get_chain(chain["id"]))["id"] == chain["id"]
    with pytest.raises(ApiError) as caught:  # b's step has not opened yet
        await b.client.get_chain(chain["id"])
    assert caught.value.status == 404
    shown = await watcher.client.get_chain(chain["id"])
    assert [w["id"] for w in shown["watchers"]] == [watcher.id]
    assert [h["action"] for h in shown["history"]] == ["approval.start", "approval.delegate"]


async def test_watchers_hear_the_outcome_but_are_not_asked(signers: MakeSigner) -> None:
    initiator, a, b, watcher = [await signers() for _ in range(4)]
    before = await watcher.mark()
    chain = await start(initiator, [step("会签", "all", people=people(a, b))], cc=[watcher.id])
    await a.decide(chain, "reject", comment="不同意")
    kinds = await watcher.kinds_since(before, chain["id"])
    assert kinds == ["approval.decided", "approval.rejected"]
    assert (await watcher.client.approvals_inbox())["counts"]["waiting"] == 0
