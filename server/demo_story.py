"""The demo's stories: the routing table at work in 贵州省, made through the same actions as the
API and signed on demo devices, so that every login of the demo has something to look at.

1. 市长批示 on a 收文: 省政府办公厅 sends a notice to the three cities (their governments: each
   reaches its 办公室's desk). At 遵义市 the office's clerk signs for it, registers and reviews
   it and asks the 市长 for 批示; the 市长 instructs and directs 湄潭县 (lead) and 赤水市 to
   handle it, which opens a 督办 task at 湄潭县.
2. 转发 to counties: the 遵义市 office forwards the notice to its three counties with its own
   number (遵府办发〔year〕1号), signed by the 市长; each county's desk has it to sign for.
3. 办公厅督办: 省政府办公厅's 主任 assigns the three cities a task in 贵州省's name (代政府督办).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws

from approvals.actions import do_decide_step
from approvals.models import Chain, Step
from approvals.states import Verdict
from core.clock import utcnow
from core.config import Settings
from core.tx import atomic
from directory.actions import do_register_device
from directory.auth import Actor
from directory.jwk import thumbprint
from directory.models import Person, Unit
from documents.drafting import do_create_document
from documents.forwarding import do_forward_document
from documents.handling import do_assign_handling
from documents.models import Document
from documents.numbering import do_create_series
from documents.receiving import (
    do_propose_handling, do_receive_document, do_register_document, do_review_document,
)
from documents.schemas import AssignIn, DocumentCreate, ForwardIn
from documents.sending import do_distribute_document, do_issue_document
from documents.signoff import do_submit_document
from files.actions import do_upload_file
from files.storage import files_root
from supervision.actions import do_create_task
from supervision.schemas import TaskCreate

STORIES = (
    "Stories to try (each also in the demo's event feed):",
    "  市长批示 on a 收文 — sunli (遵义市人民政府办公室 文书) worked it; wangjun (遵义市 市长) signed the",
    "      批示 and directed 湄潭县 and 赤水市; lina (湄潭县 县长) and zhaomin have the 督办 task.",
    "  转发 to counties — sunli forwarded it as 遵府办发〔…〕1号; zhaomin (湄潭县 desk) has it to "
    "sign for (签收).",
    "  办公厅督办 — liuqiang (省政府办公厅 主任) assigned the cities a task for 贵州省 (代); wangjun "
    "signs for 遵义市.",
)


class DemoSigner:
    """A demo official with a device key, who signs decisions as a phone would."""

    def __init__(self, person: Person) -> None:
        self.actor = Actor(person, "demo", None, 0)
        self.key = ec.generate_private_key(ec.SECP256R1())

    def public_jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x), "y": _b64(numbers.y)}

    async def register(self) -> None:
        await do_register_device(actor=self.actor, name="演示手机", platform="android",
                                 public_jwk=dict(self.public_jwk()))

    async def approve(self, document: Document, comment: str) -> None:
        """Approve the open step of the document's chain, signed with this device's key."""
        await document.refresh_from_db()
        chain = await Chain.get(id=document.chain_id)
        step = await Step.filter(chain_id=chain.id, state="open").first()
        assert step is not None
        payload = {"chain": chain.id, "step": step.id, "decision": "approve", "comment": comment,
                   "content_sha256": document.content_sha256,
                   "signed_at": datetime.now(UTC).isoformat(), "nonce": secrets.token_hex(16)}
        private = {**self.public_jwk(), "d": _b64(self.key.private_numbers().private_value)}
        token = jws.sign(json.dumps(payload, ensure_ascii=False).encode(), private,
                         headers={"kid": thumbprint(self.public_jwk())}, algorithm="ES256")
        # In a transaction of its own, so the decision runs here rather than in the approval
        # engine's group-commit writer task, whose context may hold another database (the demo
        # is also loaded into a test's private one).
        async with atomic():
            await do_decide_step(chain, actor=self.actor, step_id=step.id,
                                 verdict=Verdict.APPROVE, comment=comment, signature=token)


def _b64(value: int) -> str:
    import base64

    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).decode().rstrip("=")


class Story:
    """The people and units of the stories, by name."""

    def __init__(self, settings: Settings) -> None:
        self.root = files_root(settings.data_dir)
        self.limit = settings.upload_limit_bytes
        self.signers: dict[str, DemoSigner] = {}

    async def person(self, username: str) -> DemoSigner:
        if username not in self.signers:
            self.signers[username] = DemoSigner(await Person.get(username=username))
            await self.signers[username].register()
        return self.signers[username]

    async def text(self, who: DemoSigner, body: str, name: str) -> int:
        stored = await do_upload_file(_one(body.encode()), actor=who.actor, root=self.root,
                                      limit=self.limit, name=name, content_type="text/plain")
        return stored.id


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def unit(name: str) -> Unit:
    return await Unit.get(name=name)


async def governments(**where: Any) -> list[int]:
    """The governments (units that name a desk), not their offices, by id."""
    return [u.id for u in await Unit.filter(desk_id__not_isnull=True, **where).order_by("id")]


async def tell_stories(settings: Settings) -> str:
    """Make the three stories in a freshly loaded demo province; returns how to look at them."""
    from server.app import wire_packages

    wire_packages()  # the approval engine calls back into documents (批办, 签发)
    story = Story(settings)
    received = await _provincial_notice(story)
    await _mayors_instruction(story, received)
    await _forward_to_counties(story, received)
    await _office_supervises(story)
    return "\n".join(STORIES)


async def _provincial_notice(story: Story) -> Document:
    """省政府办公厅 drafts, signs, numbers and sends a notice to the three cities."""
    clerk, director = await story.person("zhangwei"), await story.person("liuqiang")
    office = await unit("贵州省人民政府办公厅")
    cities = await governments(level=2)
    body = await story.text(clerk, "各市（州）人民政府：入汛以来……请切实做好防汛抗旱工作。",
                            "正文.txt")
    draft = DocumentCreate.model_validate({
        "unit_id": office.id, "doc_type": "notice", "title": "关于切实做好2026年防汛抗旱工作的通知",
        "urgency": "urgent", "deadline": (utcnow() + timedelta(days=20)).isoformat(),
        "signer_id": director.actor.id, "main_units": cities, "body_file_id": body})
    document = await do_create_document(actor=clerk.actor, draft=draft, files_root=story.root)
    await do_submit_document(document, actor=clerk.actor, steps=[], cc=[])
    await director.approve(document, "同意印发")
    series = await do_create_series(actor=clerk.actor, unit_id=office.id, prefix="黔府办发",
                                    kind="outgoing")
    await do_issue_document(await Document.get(id=document.id), actor=clerk.actor,
                            series=series)
    await do_distribute_document(await Document.get(id=document.id), actor=clerk.actor,
                                 units=[], people=[])
    zunyi = await unit("遵义市")
    return await Document.get(source_id=document.id, unit_id=zunyi.id)


async def _mayors_instruction(story: Story, received: Document) -> None:
    """At 遵义市: the office's desk works the 收文 and the 市长 directs two counties."""
    desk, mayor = await story.person("sunli"), await story.person("wangjun")
    await do_receive_document(received, actor=desk.actor)
    await do_register_document(received, actor=desk.actor, series_id=None)
    await do_review_document(received, actor=desk.actor, accept=True, reason="")
    await do_propose_handling(received, actor=desk.actor, leader_ids=[mayor.actor.id],
                              proposal="拟请王市长阅示，建议由湄潭县牵头、赤水市配合抓好落实。")
    await mayor.approve(received, "请湄潭县牵头，赤水市配合，抓好汛期隐患排查，十日内报结果。")
    lead, assisting = await unit("湄潭县"), await unit("赤水市")
    body = AssignIn.model_validate({
        "lead": {"type": "unit", "id": lead.id}, "assisting_units": [assisting.id],
        "due_at": (utcnow() + timedelta(days=10)).isoformat(), "note": "市长批示件"})
    await do_assign_handling(await Document.get(id=received.id), actor=mayor.actor, body=body)


async def _forward_to_counties(story: Story, received: Document) -> None:
    """The 遵义市 office forwards the notice to its counties, numbered and signed."""
    desk, mayor = await story.person("sunli"), await story.person("wangjun")
    zunyi = await unit("遵义市")
    counties = await governments(parent_id=zunyi.id)
    request = ForwardIn.model_validate({
        "main_units": counties, "signer_id": mayor.actor.id, "urgency": "urgent",
        "deadline": (utcnow() + timedelta(days=15)).isoformat(),
        "text": "各县（区、市）人民政府：现将《关于切实做好2026年防汛抗旱工作的通知》转发给你们，"
                "请结合实际认真贯彻落实。"})
    forward = await do_forward_document(await Document.get(id=received.id), actor=desk.actor,
                                        request=request, files_root=story.root,
                                        upload_limit=story.limit)
    await do_submit_document(forward, actor=desk.actor, steps=[], cc=[])
    await mayor.approve(forward, "同意转发")
    series = await do_create_series(actor=desk.actor, unit_id=zunyi.id, prefix="遵府办发",
                                    kind="outgoing")
    await do_issue_document(await Document.get(id=forward.id), actor=desk.actor, series=series)
    await do_distribute_document(await Document.get(id=forward.id), actor=desk.actor, units=[],
                                 people=[])


async def _office_supervises(story: Story) -> None:
    """省政府办公厅's 主任 assigns the cities a task in 贵州省's name (代政府督办)."""
    director = await story.person("liuqiang")
    cities = await governments(level=2)
    zunyi = await unit("遵义市")
    draft: dict[str, Any] = {
        "title": "全省汛期地质灾害隐患排查整治", "priority": "high",
        "description": "请各市（州）人民政府组织排查辖区地质灾害隐患点，每周报送进展。",
        "assignees": {"units": cities}, "lead": {"type": "unit", "id": zunyi.id},
        "due_at": (utcnow() + timedelta(days=30)).isoformat(),
        "source": {"type": "instruction", "title": "省政府常务会议部署"}}
    await do_create_task(None, actor=director.actor, draft=TaskCreate.model_validate(draft))
