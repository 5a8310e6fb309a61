"""Client methods: Sign-off chains (签批)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from tongban_client.base import ApiBase
from tongban_client.keys import DeviceKey

Json = dict[str, Any]
Id = int | str
When = datetime | str


def _when(value: When) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def _given(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def approval_step(
    label: str,
    mode: str = "one",
    *,
    people: Sequence[Id] = (),
    positions: Sequence[Json] = (),
    quorum: int | float | None = None,
) -> Json:
    """One step of a chain: `mode` is one (单签), all (会签), any (或签) or quorum (票签, with
    `quorum` N or a share); `positions` as `{"unit_id": …, "title": …}` or `{"unit_id": …,
    "role": "leader"}` (no title or role: the unit's leader)."""
    step: Json = {"label": label, "mode": mode,
                  "assignees": {"people": list(people), "positions": list(positions)}}
    return step | _given(quorum=quorum)


class ApprovalsApi(ApiBase):
    """Sign-off chains (签批): start, inbox, decide with a device signature, and the other moves."""

    async def start_chain(
        self,
        *,
        title: str,
        content_sha256: str,
        steps: Sequence[Json],
        subject_type: str = "ad-hoc",
        subject_id: Id = "1",
        cc: Sequence[Id] = (),
        urgency: str | None = None,
        due_at: When | None = None,
        idempotency_key: str | None = None,
    ) -> Json:
        """Start a chain about a subject (build steps with `approval_step`). A retry with the
        same `idempotency_key` returns the same chain."""
        body: Json = {"subject_type": subject_type, "subject_id": str(subject_id), "title": title,
                      "content_sha256": content_sha256, "steps": list(steps), "cc": list(cc)}
        body |= _given(urgency=urgency, due_at=_when(due_at) if due_at else None)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return cast(Json, await self.request("POST", "/v1/approvals", json=body, headers=headers))

    async def approvals_inbox(
        self, box: str = "waiting", *, limit: int | None = None, cursor: str | None = None
    ) -> Json:
        """One page of `waiting` (待办), `done` (已办) or `started` (我发起的), with counts."""
        params = _given(box=box, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/approvals/inbox", params=params)

    async def get_chain(self, chain_id: Id) -> Json:
        return await self._object("GET", f"/v1/approvals/{chain_id}")

    async def decide(
        self,
        chain_id: Id,
        step_id: Id,
        decision: str,
        *,
        key: DeviceKey,
        content_sha256: str,
        comment: str = "",
        return_to_step: Id | None = None,
        nonce: str | None = None,
        signed_at: datetime | str | None = None,
    ) -> Json:
        """Approve, reject or return (退回) a step, signed on this device with `key`.

        `content_sha256` is the hash of the version you reviewed; the server refuses the
        decision if the subject has changed since."""
        signature = key.sign_decision(
            chain=chain_id, step=step_id, decision=decision, comment=comment,
            content_sha256=content_sha256, nonce=nonce, signed_at=signed_at,
        )
        return await self.submit_decision(chain_id, step_id, decision, signature=signature,
                                          comment=comment, return_to_step=return_to_step)

    async def submit_decision(
        self,
        chain_id: Id,
        step_id: Id,
        decision: str,
        *,
        signature: str,
        comment: str = "",
        return_to_step: Id | None = None,
    ) -> Json:
        """Send a decision signed elsewhere (the compact JWS as `signature`)."""
        body: Json = {"step_id": step_id, "decision": decision, "comment": comment,
                      "signature": signature} | _given(return_to_step=return_to_step)
        return await self._object("POST", f"/v1/approvals/{chain_id}/decisions", body)

    async def delegate_step(
        self, chain_id: Id, step_id: Id, delegate_id: Id, *, reason: str = ""
    ) -> Json:
        """Hand my place on the open step to someone else (转交)."""
        body = {"step_id": step_id, "delegate_id": delegate_id, "reason": reason}
        return await self._object("POST", f"/v1/approvals/{chain_id}/delegate", body)

    async def add_signers(
        self,
        chain_id: Id,
        step_id: Id,
        *,
        where: str,
        people: Sequence[Id] = (),
        positions: Sequence[Json] = (),
        mode: str = "all",
        label: str | None = None,
        quorum: int | float | None = None,
    ) -> Json:
        """加签: a step of new signers `before` or `after` the open step."""
        body = approval_step(label or "加签", mode, people=people, positions=positions,
                             quorum=quorum) | {"step_id": step_id, "where": where}
        return await self._object("POST", f"/v1/approvals/{chain_id}/add-signers", body)

    async def withdraw_chain(self, chain_id: Id, *, reason: str = "") -> Json:
        """撤回: the initiator withdraws an unfinished chain."""
        return await self._object("POST", f"/v1/approvals/{chain_id}/withdraw", {"reason": reason})

    async def take_back(self, chain_id: Id) -> Json:
        """拿回: take back my approval while the next step has not acted."""
        return await self._object("POST", f"/v1/approvals/{chain_id}/take-back")

    async def remind_chain(self, chain_id: Id, *, message: str = "") -> Json:
        """催办: remind whoever the chain waits for (rate-limited: 429 with Retry-After)."""
        return await self._object("POST", f"/v1/approvals/{chain_id}/remind", {"message": message})

    async def change_content(
        self, chain_id: Id, content_sha256: str, *, restart_step_id: Id | None = None
    ) -> Json:
        """The ad-hoc subject changed: the chain starts again from its first (or a named) step."""
        body = {"content_sha256": content_sha256} | _given(restart_step_id=restart_step_id)
        return await self._object("POST", f"/v1/approvals/{chain_id}/content", body)

    async def resubmit_chain(
        self,
        chain_id: Id,
        *,
        restart_step_id: Id | None = None,
        content_sha256: str | None = None,
    ) -> Json:
        """Send a chain returned to me (退回) on again."""
        body = _given(restart_step_id=restart_step_id, content_sha256=content_sha256)
        return await self._object("POST", f"/v1/approvals/{chain_id}/resubmit", body)

    async def verify_chain(self, chain_id: Id) -> Json:
        """Every signature of the chain checked again by the server."""
        return await self._object("GET", f"/v1/approvals/{chain_id}/verify")

    async def set_out_of_office(self, delegate_id: Id, *, starts_at: When, ends_at: When) -> Json:
        """外出委托: steps that open for me in this period go to `delegate_id`."""
        body = {"delegate_id": delegate_id, "starts_at": _when(starts_at),
                "ends_at": _when(ends_at)}
        return await self._object("POST", "/v1/approvals/out-of-office", body)

    async def list_out_of_office(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Json:
        params = _given(limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/approvals/out-of-office", params=params)

    async def cancel_out_of_office(self, absence_id: Id) -> Json:
        return await self._object("DELETE", f"/v1/approvals/out-of-office/{absence_id}")
