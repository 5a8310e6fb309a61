"""A package's subject handler: its hash is the one to sign, its hooks run with the chain,
its readers may look; and bad input to the moves is refused with clear problems."""

from __future__ import annotations

from typing import Any

import pytest
from approvals_helpers import MakeSigner, digest, people, signers, start, step, two_steps
from conftest import Server
from tongban_client import ApiError

from approvals.handlers import SubjectHandler, register_subject
from approvals.models import Chain

__all__ = ["signers"]


class Memo(SubjectHandler):
    """A stand-in for a package's records: hashes and readers kept in dicts."""

    direct_start = True

    def __init__(self) -> None:
        self.hashes: dict[str, str] = {}
        self.readers: dict[str, set[int]] = {}
        self.calls: list[tuple[str, int, str]] = []

    async def current_sha256(self, subject_id: str) -> str | None:
        return self.hashes.get(subject_id)

    async def may_view(self, person_id: int, subject_id: str) -> bool:
        return person_id in self.readers.get(subject_id, set())

    async def on_completed(self, chain: Chain) -> None:
        self.calls.append(("completed", chain.id, chain.state))

    async def on_rejected(self, chain: Chain) -> None:
        self.calls.append(("rejected", chain.id, chain.state))


MEMO = Memo()
register_subject("test-memo", MEMO)


async def memo_chain(initiator: Any, steps: list[dict[str, Any]], subject: str) -> dict[str, Any]:
    return await initiator.client.start_chain(
        title="备忘", subject_type="test-memo", subject_id=subject,
        content_sha256=MEMO.hashes[subject], steps=steps)


async def test_the_handlers_hash_is_the_one_to_sign_and_its_hooks_run(
    signers: MakeSigner,
) -> None:
    initiator, a, reader, stranger = [await signers() for _ in range(4)]
    MEMO.hashes["m1"], MEMO.readers["m1"] = digest("备忘 v1"), {reader.id}
    chain = await memo_chain(initiator, [step("核稿", "one", people=[a.id])], "m1")
    assert (await reader.client.get_chain(chain["id"]))["id"] == chain["id"]
    with pytest.raises(ApiError) as caught:
        await stranger.client.get_chain(chain["id"])
    assert caught.value.status == 404
    MEMO.hashes["m1"] = digest("备忘 v2")  # the package saved a new version
    with pytest.raises(ApiError) as caught:
        await a.decide(chain, content=digest("备忘 v1"))
    assert caught.value.type.endswith("/content-changed")
    reply = await a.decide(chain, content=digest("备忘 v2"))
    assert reply["chain"]["state"] == "completed"
    assert [c for c in MEMO.calls if c[1] == chain["id"]] == [
        ("completed", chain["id"], "completed")]
    report = await initiator.client.verify_chain(chain["id"])
    assert report["ok"] and report["content_sha256"] == digest("备忘 v2")


async def test_a_rejection_runs_the_rejected_hook(signers: MakeSigner) -> None:
    initiator, a = [await signers() for _ in range(2)]
    MEMO.hashes["m2"] = digest("备忘二")
    chain = await memo_chain(initiator, [step("核稿", "one", people=[a.id])], "m2")
    await a.decide(chain, "reject", comment="不同意")
    assert [c[0] for c in MEMO.calls if c[1] == chain["id"]] == ["rejected"]


async def test_bad_moves_get_clear_problems(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b)
    first, second = [s["id"] for s in chain["steps"]]
    cases = [
        (a.decide(chain, step_id=999_999), 422),
        (a.decide(chain, "return", return_to_step=second), 422),
        (a.client.delegate_step(chain["id"], first, 999_999), 422),
        (a.client.add_signers(chain["id"], first, where="after", people=[999_999]), 422),
        (a.client.add_signers(chain["id"], first, where="sideways", people=[b.id]), 422),
        (initiator.client.resubmit_chain(chain["id"]), 409),
        (initiator.client.change_content(chain["id"], "not-a-hash"), 422),
        (a.client.post(f"/v1/approvals/{chain['id']}/decisions", {"step_id": first}), 422),
        (a.client.get("/v1/approvals/inbox", params={"box": "everything"}), 422),
        (a.client.get("/v1/approvals/not-a-number"), 404),
        (a.client.get("/v1/approvals/99999999999"), 404),
        (a.decide(chain, step_id=99_999_999_999), 422),
        (a.client.approvals_inbox("done", cursor="OTk5OTk5OTk5OTk5"), 400),
        (a.client.approvals_inbox("waiting", cursor="WzAsIjIwMzAtMDEtMDEiLDFd"), 400),
        (initiator.client.start_chain(title="x", content_sha256=digest("x"), steps=[
            step("核稿", "one", people=[a.id])], idempotency_key="k" * 200), 400),
        (a.client.set_out_of_office(b.id, starts_at="2030-01-02T00:00:00+00:00",
                                    ends_at="2030-01-01T00:00:00+00:00"), 422),
    ]
    for call, status in cases:
        with pytest.raises(ApiError) as caught:
            await call
        assert caught.value.status == status, (caught.value, status)
    shown = await initiator.client.get_chain(chain["id"])
    assert shown["decisions"] == [] and shown["current_step_id"] == first


async def test_a_finished_chain_refuses_every_move(signers: MakeSigner) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await start(initiator, [step("会签", "all", people=people(a))])
    await a.decide(chain)
    for call in (initiator.client.withdraw_chain(chain["id"]),
                 initiator.client.change_content(chain["id"], digest("新")),
                 a.client.take_back(chain["id"]),
                 a.client.delegate_step(chain["id"], chain["current_step_id"], b.id),
                 initiator.client.remind_chain(chain["id"])):
        with pytest.raises(ApiError) as caught:
            await call
        assert caught.value.status == 409


async def test_the_routes_are_in_the_openapi_document(server: Server) -> None:
    document = server.app.state.openapi
    for path in ("/v1/approvals", "/v1/approvals/inbox", "/v1/approvals/{chain_id}/decisions",
                 "/v1/approvals/{chain_id}/verify", "/v1/approvals/out-of-office"):
        assert path in document["paths"]
