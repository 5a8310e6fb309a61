"""Device-signed decisions: what is refused and why, and `verify` over stored signatures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from approvals_helpers import MakeSigner, Signer, digest, people, signers, start, step, two_steps
from tongban_client import ApiError, DeviceKey
from tongban_client.keys import b64url_decode, b64url_encode

from approvals.models import Decision
from core.clock import utcnow

__all__ = ["signers"]


def forge(token: str, **changes: object) -> str:
    """The same signature over a payload with some fields changed."""
    header, payload, signature = token.split(".")
    data = json.loads(b64url_decode(payload)) | changes
    body = b64url_encode(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{header}.{body}.{signature}"


def sign(signer: Signer, chain: dict[str, Any], key: DeviceKey | None = None,
         **fields: object) -> str:
    values: dict[str, object] = {
        "chain": chain["id"], "step": chain["current_step_id"], "decision": "approve",
        "comment": "同意", "content_sha256": chain["content_sha256"]} | fields
    return (key or signer.key).sign_decision(**values)  # type: ignore[arg-type]


async def refused(signer: Signer, chain: dict[str, Any], signature: str,
                  decision: str = "approve", comment: str = "同意") -> ApiError:
    with pytest.raises(ApiError) as caught:
        await signer.client.submit_decision(chain["id"], chain["current_step_id"], decision,
                                            signature=signature, comment=comment)
    return caught.value


async def one_step_chain(signers: MakeSigner) -> tuple[Signer, Signer, dict[str, Any]]:
    initiator, a = await signers(), await signers()
    return initiator, a, await start(initiator, [step("核稿", "one", people=[a.id])])


async def test_a_forged_signature_is_refused(signers: MakeSigner) -> None:
    _, a, chain = await one_step_chain(signers)
    error = await refused(a, chain, forge(sign(a, chain), comment="同意并加急"),
                          comment="同意并加急")
    assert (error.status, error.type.rsplit("/", 1)[1]) == (422, "signature-invalid")
    assert error.errors[0]["loc"] == ["signature"]


async def test_a_key_that_is_not_a_registered_device_is_refused(signers: MakeSigner) -> None:
    _, a, chain = await one_step_chain(signers)
    error = await refused(a, chain, sign(a, chain, key=DeviceKey.generate()))
    assert (error.status, error.type.rsplit("/", 1)[1]) == (422, "signature-unknown-key")


async def test_another_persons_device_is_refused(signers: MakeSigner) -> None:
    initiator, a, chain = await one_step_chain(signers)
    error = await refused(a, chain, sign(a, chain, key=initiator.key))
    assert (error.status, error.type.rsplit("/", 1)[1]) == (422, "signature-wrong-signer")


async def test_a_signature_from_a_revoked_device_is_refused(signers: MakeSigner) -> None:
    _, a, chain = await one_step_chain(signers)
    await a.client.revoke_device(a.device["id"])
    error = await refused(a, chain, sign(a, chain))
    assert (error.status, error.type.rsplit("/", 1)[1]) == (422, "device-revoked")
    assert (await a.client.get_chain(chain["id"]))["decisions"] == []


async def test_a_replayed_nonce_is_refused(signers: MakeSigner) -> None:
    initiator, a = await signers(), await signers()
    first = await start(initiator, [step("核稿", "one", people=[a.id])])
    second = await start(initiator, [step("核稿", "one", people=[a.id])])
    await a.decide(first, nonce="nonce-used-once-0001")
    error = await refused(a, second, sign(a, second, nonce="nonce-used-once-0001"))
    assert (error.status, error.type.rsplit("/", 1)[1]) == (409, "nonce-reused")
    assert (await a.client.get_chain(second["id"]))["state"] == "running"


async def test_sending_the_same_signature_again_returns_the_first_decision(
    signers: MakeSigner,
) -> None:
    initiator, a, chain = await one_step_chain(signers)
    signature = sign(a, chain)
    first = await a.client.submit_decision(chain["id"], chain["current_step_id"], "approve",
                                           signature=signature, comment="同意")
    again = await a.client.submit_decision(chain["id"], chain["current_step_id"], "approve",
                                           signature=signature, comment="同意")
    assert again["decision"]["id"] == first["decision"]["id"]
    assert len((await initiator.client.get_chain(chain["id"]))["decisions"]) == 1


async def test_a_hash_that_is_not_the_current_version_is_refused(signers: MakeSigner) -> None:
    initiator, a = await signers(), await signers()
    chain = await start(initiator, [step("核稿", "one", people=[a.id])], content=digest("原稿"))
    error = await refused(a, chain, sign(a, chain, content_sha256=digest("别的稿子")))
    assert (error.status, error.type.rsplit("/", 1)[1]) == (409, "content-changed")


@pytest.mark.parametrize("age", [timedelta(minutes=-6), timedelta(minutes=3)])
async def test_a_stale_or_future_signed_at_is_refused(signers: MakeSigner, age: timedelta) -> None:
    _, a, chain = await one_step_chain(signers)
    error = await refused(a, chain, sign(a, chain, signed_at=utcnow() + age))
    assert (error.status, error.type.rsplit("/", 1)[1]) == (422, "signature-stale")


async def test_a_signature_for_something_else_is_refused(signers: MakeSigner) -> None:
    _, a, chain = await one_step_chain(signers)
    error = await refused(a, chain, sign(a, chain, decision="approve"), decision="reject")
    assert (error.status, error.type.rsplit("/", 1)[1]) == (422, "signature-mismatch")
    assert "decision" in (error.detail or "")
    error = await refused(a, chain, sign(a, chain, comment="同意"), comment="不同意")
    assert "comment" in (error.detail or "")


@pytest.mark.parametrize("token", ["", "not-a-jws", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
async def test_something_that_is_not_a_jws_is_refused(signers: MakeSigner, token: str) -> None:
    _, a, chain = await one_step_chain(signers)
    error = await refused(a, chain, token)
    assert error.status == 422


async def test_verify_passes_on_a_finished_chain_and_fails_after_tampering(
    signers: MakeSigner,
) -> None:
    initiator, a, b, c = [await signers() for _ in range(4)]
    chain = await start(initiator, [step("会签", "all", people=people(a, b)),
                                    step("签发", "one", people=[c.id])])
    await a.decide(chain, comment="同意")
    await b.decide(chain, comment="原则同意")
    await c.decide(chain, step_id=chain["steps"][1]["id"], comment="同意签发")
    await a.client.revoke_device(a.device["id"])  # revoked later: still verifiable
    report = await c.client.verify_chain(chain["id"])
    assert report["ok"] is True and report["state"] == "completed"
    assert [(d["valid"], d["subject_changed"]) for d in report["decisions"]] == [
        (True, False)] * 3
    tampered = report["decisions"][1]["decision_id"]
    await Decision.filter(id=tampered).update(comment="不同意")
    report = await initiator.client.verify_chain(chain["id"])
    assert report["ok"] is False
    bad = [d for d in report["decisions"] if not d["valid"]]
    assert [d["decision_id"] for d in bad] == [tampered]
    assert "comment" in bad[0]["problems"][0]


async def test_verify_fails_when_a_stored_signature_is_swapped(signers: MakeSigner) -> None:
    initiator, a = await signers(), await signers()
    chain = await start(initiator, [step("核稿", "one", people=[a.id])])
    reply = await a.decide(chain)
    other = sign(a, chain, comment="别的内容")
    await Decision.filter(id=reply["decision"]["id"]).update(signature=other)
    report = await initiator.client.verify_chain(chain["id"])
    assert report["ok"] is False and report["decisions"][0]["problems"]


async def test_verify_says_when_the_subject_changed_after_a_decision(
    signers: MakeSigner,
) -> None:
    initiator, a, b = [await signers() for _ in range(3)]
    chain = await two_steps(initiator, a, b, content=digest("v1"))
    await a.decide(chain)
    await initiator.client.change_content(chain["id"], digest("v2"))
    report = await initiator.client.verify_chain(chain["id"])
    assert report["ok"] is True
    assert report["decisions"][0]["subject_changed"] is True
    assert report["content_sha256"] == digest("v2")
