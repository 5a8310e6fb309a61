"""Client methods: official documents (公文)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from tongban_client.base import ApiBase
from tongban_client.keys import DeviceKey

Json = dict[str, Any]
Id = int | str


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _given(**values: Any) -> Json:
    return {name: _wire(value) for name, value in values.items() if value is not None}


class DocumentsApi(ApiBase):
    """Official documents (公文): draft, submit, sign, issue, distribute, receive, circulate,
    read — the phone flow of "sign and distribute remotely" end to end."""

    # -- drafting (拟稿) ---------------------------------------------------------------------

    async def create_document(self, unit_id: Id, doc_type: str, title: str, *,
                              idempotency_key: str | None = None, **elements: Any) -> Json:
        """A draft of `unit_id` with the GB/T 9704 elements: `urgency`, `secrecy`, `deadline`,
        `signer_id` (签发人), `main_units` (主送), `cc_units` (抄送), `written_on`, `note`,
        `printed_by`, `printed_on`, `copies`, `body_file_id`, `attachment_ids` (uploaded
        first with `upload_file`). Chinese terms are accepted (`doc_type="请示"`). A retry
        with the same `idempotency_key` returns the same draft."""
        body = {"unit_id": unit_id, "doc_type": doc_type, "title": title}
        body |= {name: _wire(value) for name, value in elements.items()}
        return await self._keyed("/v1/documents", body, idempotency_key)

    async def _keyed(self, path: str, body: Json, key: str | None) -> Json:
        headers = {"Idempotency-Key": key} if key else None
        return cast(Json, await self.request("POST", path, json=body, headers=headers))

    async def edit_document(self, document_id: Id, **elements: Any) -> Json:
        """Change elements, body or attachments: a new version (a None clears a field)."""
        body = {name: _wire(value) for name, value in elements.items()}
        return await self._object("PATCH", f"/v1/documents/{document_id}", body)

    async def get_document(self, document_id: Id) -> Json:
        return await self._object("GET", f"/v1/documents/{document_id}")

    async def document_desk(self) -> Json:
        """What waits at my document desks (待办): counts per unit and state, my pending 传阅."""
        return await self._object("GET", "/v1/documents/desk")

    async def list_documents(self, *, q: str | None = None, direction: str | None = None,
                             state: str | None = None, limit: int | None = None,
                             cursor: str | None = None) -> Json:
        """My documents, newest first; `q` searches titles, numbers and body text."""
        params = _given(q=q, direction=direction, state=state, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/documents", params=params)

    async def document_versions(self, document_id: Id, *, limit: int | None = None,
                                cursor: str | None = None) -> Json:
        params = _given(limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/documents/{document_id}/versions", params=params)

    async def document_version(self, document_id: Id, number: int) -> Json:
        return await self._object("GET", f"/v1/documents/{document_id}/versions/{number}")

    async def document_history(self, document_id: Id) -> Json:
        """What happened to it, from the audit log: who did what, when, from which device."""
        return await self._object("GET", f"/v1/documents/{document_id}/history")

    # -- sending (发文) ----------------------------------------------------------------------

    async def submit_document(self, document_id: Id, chain: Sequence[Json] = (), *,
                              cc: Sequence[Id] = ()) -> Json:
        """Start sign-off; build steps with `tongban_client.approvals.approval_step` (核稿,
        会签, 签发). A 签发 step for the named 签发人 is added when none is given."""
        body = {"chain": list(chain), "cc": list(cc)}
        return await self._object("POST", f"/v1/documents/{document_id}/submit", body)

    async def sign_document(self, document_id: Id, *, key: DeviceKey,
                            decision: str = "approve", comment: str = "") -> Json:
        """Decide on the step of the document's chain that waits for me (核稿, 会签, 签发 or
        批办), signing the version I see with the device key."""
        document = await self.get_document(document_id)
        chain_id = document["chain"]["id"]
        chain = await self._object("GET", f"/v1/approvals/{chain_id}")
        signature = key.sign_decision(
            chain=chain_id, step=chain["current_step_id"], decision=decision, comment=comment,
            content_sha256=document["content_sha256"])
        body = {"step_id": chain["current_step_id"], "decision": decision, "comment": comment,
                "signature": signature}
        return await self._object("POST", f"/v1/approvals/{chain_id}/decisions", body)

    async def create_document_series(self, unit_id: Id, prefix: str,
                                     kind: str = "outgoing") -> Json:
        """A numbering series of a unit (机关代字, e.g. 黔府办发)."""
        body = {"unit_id": unit_id, "prefix": prefix, "kind": kind}
        return await self._object("POST", "/v1/documents/series", body)

    async def document_series(self, unit_id: Id) -> Json:
        return await self._object("GET", "/v1/documents/series", params={"unit_id": unit_id})

    async def issue_document(self, document_id: Id, series_id: Id) -> Json:
        """编号: the document gets its number (`黔府办发〔2026〕12号`)."""
        return await self._object("POST", f"/v1/documents/{document_id}/issue",
                                  {"series_id": series_id})

    async def distribute_document(self, document_id: Id, *, units: Sequence[Id] = (),
                                  people: Sequence[Id] = ()) -> Json:
        """分发 to units (an incoming record at each desk) and people; none: 主送 and 抄送."""
        body = {"units": list(units), "people": list(people)}
        return await self._object("POST", f"/v1/documents/{document_id}/distribute", body)

    async def document_deliveries(self, document_id: Id, *, limit: int | None = None,
                                  cursor: str | None = None) -> Json:
        """Who got it, who signed for it and when, returns and answers."""
        params = _given(limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/documents/{document_id}/deliveries",
                                  params=params)

    async def archive_document(self, document_id: Id) -> Json:
        return await self._object("POST", f"/v1/documents/{document_id}/archive")

    # -- receiving (收文) --------------------------------------------------------------------

    async def receive_document(self, document_id: Id) -> Json:
        """签收."""
        return await self._object("POST", f"/v1/documents/{document_id}/receive")

    async def register_document(self, document_id: Id, *, series_id: Id | None = None) -> Json:
        """登记: the unit's own incoming number."""
        return await self._object("POST", f"/v1/documents/{document_id}/register",
                                  _given(series_id=series_id))

    async def review_document(self, document_id: Id, decision: str = "accept", *,
                              reason: str = "") -> Json:
        """初审: `accept`, or `return` to the sender with the reason."""
        return await self._object("POST", f"/v1/documents/{document_id}/review",
                                  {"decision": decision, "reason": reason})

    async def propose_handling(self, document_id: Id, proposal: str,
                               leader_ids: Sequence[Id]) -> Json:
        """拟办, asking these leaders for 批办."""
        body = {"proposal": proposal, "leader_ids": list(leader_ids)}
        return await self._object("POST", f"/v1/documents/{document_id}/propose", body)

    async def instruct_document(self, document_id: Id, instruction: str, *, key: DeviceKey,
                                decision: str = "approve") -> Json:
        """批办: the leader's instruction, signed on the device (`return` sends it back)."""
        return await self.sign_document(document_id, key=key, decision=decision,
                                        comment=instruction)

    async def assign_handling(self, document_id: Id, *, lead: Json, due_at: datetime | str,
                              assisting_units: Sequence[Id] = (),
                              assisting_people: Sequence[Id] = (), note: str = "") -> Json:
        """承办: `lead` as `{"type": "unit"|"person", "id": …}`; opens a supervision task."""
        body = {"lead": lead, "due_at": _wire(due_at), "assisting_units": list(assisting_units),
                "assisting_people": list(assisting_people), "note": note}
        return await self._object("POST", f"/v1/documents/{document_id}/assign", body)

    async def complete_handling(self, document_id: Id, result: str, *,
                                continues: bool = False) -> Json:
        """办结: closes the 督办 task the 承办 opened, unless `continues` (the work goes on)."""
        return await self._object("POST", f"/v1/documents/{document_id}/complete",
                                  {"result": result, "continues": continues})

    async def forward_document(self, document_id: Id, main_units: Sequence[Id], *,
                               text: str | None = None, idempotency_key: str | None = None,
                               **elements: Any) -> Json:
        """转发: a new draft of the receiving unit that carries this received document (its
        files and number) to units under it; `text` is the forward's own words, or give
        `body_file_id`. Also `cc_units`, `attachment_ids`, `title`, `doc_type`, `signer_id`,
        `urgency`, `deadline`, `note`."""
        body = {"main_units": list(main_units), **_given(text=text, **elements)}
        return await self._keyed(f"/v1/documents/{document_id}/forward", body, idempotency_key)

    async def answer_document(self, document_id: Id, text: str, *,
                              file_ids: Sequence[Id] = ()) -> Json:
        """答复 to the sender."""
        body = {"text": text, "file_ids": list(file_ids)}
        return await self._object("POST", f"/v1/documents/{document_id}/answer", body)

    # -- circulation (传阅) ------------------------------------------------------------------

    async def circulate_document(self, document_id: Id, reader_ids: Sequence[Id], *,
                                 mode: str = "parallel", due_at: datetime | str | None = None,
                                 note: str = "", idempotency_key: str | None = None) -> Json:
        """传阅 to readers, `parallel` or `sequential`, by `due_at`."""
        body = {"reader_ids": list(reader_ids), "mode": mode, "note": note}
        body |= _given(due_at=due_at)
        return await self._keyed(f"/v1/documents/{document_id}/circulations", body,
                                 idempotency_key)

    async def document_circulations(self, document_id: Id, *, limit: int | None = None,
                                    cursor: str | None = None) -> Json:
        params = _given(limit=limit, cursor=cursor)
        return await self._object("GET", f"/v1/documents/{document_id}/circulations",
                                  params=params)

    async def tracked_circulations(self, *, state: str | None = None, limit: int | None = None,
                                   cursor: str | None = None) -> Json:
        """传阅 I follow: started by me or going round my desks' documents, newest first."""
        params = _given(state=state, limit=limit, cursor=cursor)
        return await self._object("GET", "/v1/documents/circulations", params=params)

    async def get_circulation(self, document_id: Id, circulation_id: Id) -> Json:
        return await self._object(
            "GET", f"/v1/documents/{document_id}/circulations/{circulation_id}")

    async def read_circulation(self, document_id: Id, circulation_id: Id, *,
                               comment: str = "") -> Json:
        """阅, with 阅示."""
        return await self._object(
            "POST", f"/v1/documents/{document_id}/circulations/{circulation_id}/read",
            {"comment": comment})

    async def remind_circulation(self, document_id: Id, circulation_id: Id, *,
                                 message: str = "") -> Json:
        """催阅 those whose turn it is."""
        return await self._object(
            "POST", f"/v1/documents/{document_id}/circulations/{circulation_id}/remind",
            {"message": message})

    # -- registers (登记簿) -------------------------------------------------------------------

    async def document_register(self, kind: str, unit_id: Id, **filters: Any) -> Json:
        """`outgoing` or `incoming` register of a unit: `year`, `doc_type`, `urgency`, `state`,
        `overdue`, `limit`, `cursor`."""
        params = _given(unit_id=unit_id, **filters)
        return await self._object("GET", f"/v1/documents/registers/{kind}", params=params)

    async def export_document_register(self, kind: str, unit_id: Id, **filters: Any) -> bytes:
        """The register as CSV bytes (UTF-8 with BOM)."""
        return await self.request_bytes("GET", f"/v1/documents/registers/{kind}/export",
                                        params=_given(unit_id=unit_id, **filters))
