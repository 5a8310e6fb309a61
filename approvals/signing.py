"""Device signatures on decisions: a compact JWS (ES256) checked when it arrives and again later.

A phone signs `{chain, step, decision, comment, content_sha256, signed_at, nonce}` with its
device key and names the key in the `kid` header by its RFC 7638 thumbprint. On arrival the
device must be the actor's and unrevoked, the signature must verify with its registered key
(ES256 and nothing else), the payload must say what the request says, and `signed_at` must be
recent. The content hash and the nonce are checked inside the deciding transaction
(`approvals.actions`), against the subject's current version and every nonce used before.
Each refusal has its own problem type, so a phone can tell the user what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jose import jwk, jws
from jose.backends.base import Key
from jose.exceptions import JOSEError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from approvals import store
from approvals.models import Decision
from core.errors import ApiError, Conflict, Unprocessable, field_error
from core.jsonutil import loads
from directory.models import Device

ALGORITHM = "ES256"
MAX_AGE = timedelta(minutes=5)
MAX_SKEW = timedelta(minutes=1)
SIGNED_FIELDS = ("chain", "step", "decision", "comment", "content_sha256", "signed_at", "nonce")


class SignedDecision(BaseModel):
    """The payload a device signs."""

    model_config = ConfigDict(extra="allow")

    chain: int | str
    step: int | str
    decision: str
    comment: str
    content_sha256: str
    signed_at: AwareDatetime
    nonce: str = Field(min_length=8, max_length=128)


@dataclass(frozen=True)
class Signature:
    token: str
    device: Device
    payload: SignedDecision


def refused(slug: str, detail: str) -> Unprocessable:
    return Unprocessable(detail, slug=slug, title="Signature refused",
                         errors=[field_error(["signature"], detail, slug)])


def content_changed() -> Conflict:
    return Conflict("The content was changed after you signed: the hash you signed is not the "
                    "version under review now. Reload it and sign again.", slug="content-changed")


def nonce_reused() -> Conflict:
    return Conflict("This signature's nonce was used before: a signature counts once. "
                    "Sign the decision again.", slug="nonce-reused")


def unverified_header(token: str) -> dict[str, Any]:
    try:
        header = jws.get_unverified_header(token)
    except JOSEError as exc:
        raise refused("signature-malformed", "The signature is not a compact JWS.") from exc
    if header.get("alg") != ALGORITHM:
        raise refused("signature-malformed", f"Decisions are signed with {ALGORITHM} only.")
    if not isinstance(header.get("kid"), str):
        raise refused("signature-malformed", "The JWS header must name the device key (kid).")
    return dict(header)


@lru_cache(maxsize=4096)
def _key(kty: str, crv: str, x: str, y: str) -> Key:
    return jwk.construct({"kty": kty, "crv": crv, "x": x, "y": y}, ALGORITHM)


def open_token(token: str, device: Device) -> SignedDecision:
    """The payload, if the signature verifies with the device's registered key."""
    public = device.public_jwk
    key = _key(public["kty"], public["crv"], public["x"], public["y"])
    try:
        raw = jws.verify(token, key, algorithms=[ALGORITHM])
    except JOSEError as exc:
        raise refused("signature-invalid",
                      "The signature does not verify with your device's registered key.") from exc
    try:
        return SignedDecision.model_validate(loads(raw))
    except (ValueError, ValidationError) as exc:
        raise refused("signature-malformed",
                      f"The signed payload must carry {', '.join(SIGNED_FIELDS)}.") from exc


async def signing_device(token: str, *, person_id: int) -> Device:
    """The actor's unrevoked device named by the token's `kid`."""
    thumbprint = unverified_header(token)["kid"]
    device = await store.device(thumbprint)
    if device is None:
        raise refused("signature-unknown-key", "The signing key is not a registered device.")
    if device.person_id != person_id:
        raise refused("signature-wrong-signer", "The signing device is not registered to you.")
    if device.revoked_at is not None:
        raise refused("device-revoked", "The signing device has been revoked: register the "
                                        "phone again and sign with its new key.")
    return device


async def check_signature(
    token: str, *, person_id: int, chain_id: int, step_id: int, decision: str, comment: str,
    now: datetime,
) -> Signature:
    """A signature fit to record this decision (hash and nonce are the caller's to check)."""
    device = await signing_device(token, person_id=person_id)
    payload = open_token(token, device)
    asked = {"chain": chain_id, "step": step_id, "decision": decision, "comment": comment}
    wrong = [name for name, value in asked.items() if str(getattr(payload, name)) != str(value)]
    if wrong:
        raise refused("signature-mismatch",
                      f"What was signed differs from the request in: {', '.join(wrong)}.")
    if payload.signed_at < now - MAX_AGE:
        raise refused("signature-stale", f"The signature is older than {MAX_AGE}: sign again.")
    if payload.signed_at > now + MAX_SKEW:
        raise refused("signature-stale", "signed_at is in the future: check the phone's clock.")
    return Signature(token, device, payload)


def recheck(decision: Decision, device: Device | None, current_sha256: str) -> dict[str, Any]:
    """One stored decision checked again: its signature, what it signed, and its device."""
    problems = _problems(decision, device)
    return {
        "decision_id": decision.id, "step_id": decision.step_id, "round": decision.round,
        "person_id": decision.person_id, "decision": decision.verdict,
        "device_id": decision.device_id, "valid": not problems, "problems": problems,
        "subject_changed": decision.content_sha256 != current_sha256,
        "retracted": decision.retracted_at is not None,
    }


def _problems(decision: Decision, device: Device | None) -> list[str]:
    if device is None:
        return ["the signing device is not on record"]
    problems = []
    if device.person_id != decision.person_id:
        problems.append("the signing device belongs to someone else")
    if device.revoked_at is not None and device.revoked_at <= decision.decided_at:
        problems.append("recorded after the device was revoked")
    try:
        if unverified_header(decision.signature)["kid"] != device.thumbprint:
            problems.append("the signature names another key")
        payload = open_token(decision.signature, device)
    except ApiError as exc:
        return [*problems, exc.detail]
    signed, stored = comparable(payload), stored_fields(decision)
    differ = [name for name in SIGNED_FIELDS if signed[name] != stored[name]]
    if differ:
        problems.append(f"the stored decision differs from what was signed in: {', '.join(differ)}")
    return problems


def comparable(payload: SignedDecision) -> dict[str, Any]:
    return {**payload.model_dump(include=set(SIGNED_FIELDS)),
            "chain": str(payload.chain), "step": str(payload.step)}


def stored_fields(decision: Decision) -> dict[str, Any]:
    return {
        "chain": str(decision.chain_id), "step": str(decision.step_id),
        "decision": decision.verdict, "comment": decision.comment,
        "content_sha256": decision.content_sha256, "signed_at": decision.signed_at,
        "nonce": decision.nonce,
    }
