"""Factories for the approval tests: signers (a person, a signed-in client, a registered device
key), chains started through the client, signed decisions, and the events people received."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from conftest import Org, Server, logged_in, make_person, read_feed, unique
from tongban_client import DeviceKey, TongbanClient
from tongban_client.approvals import approval_step

from core.models import AuditEntry

Json = dict[str, Any]
step = approval_step


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Signer:
    """A person with a signed-in client and a registered device key."""

    person: Json
    client: TongbanClient
    key: DeviceKey
    device: Json

    @property
    def id(self) -> int:
        return int(self.person["id"])

    async def decide(self, chain: Json, decision: str = "approve", *, step_id: int | None = None,
                     comment: str = "同意", content: str | None = None, **options: Any) -> Json:
        """Sign and send a decision on the chain's open step (or `step_id`)."""
        return await self.client.decide(
            chain["id"], step_id or chain["current_step_id"], decision, key=self.key,
            content_sha256=content or chain["content_sha256"], comment=comment, **options,
        )

    async def mark(self) -> int:
        """The feed position now, to read only the events that follow."""
        return (await self._read(0))[1]

    async def events_since(self, after: int) -> list[Json]:
        return (await self._read(after))[0]

    async def _read(self, after: int) -> tuple[list[Json], int]:
        return await read_feed(self.client, after)

    async def kinds_since(self, after: int, chain_id: int | None = None) -> list[str]:
        return [e["kind"] for e in await self.events_since(after)
                if chain_id is None or e["data"].get("chain_id") == chain_id]


MakeSigner = Callable[..., Awaitable[Signer]]


_home: dict[str, int] = {}


async def home_unit(admin: TongbanClient, org: Org) -> int:
    """A unit of the approval tests' own, so that the many people they make do not flood the
    feed of everyone else in the county (every person joining a unit is an event to it)."""
    if "id" not in _home:
        _home["id"] = (await admin.create_unit("签批测试处", org.county, "county"))["id"]
    return _home["id"]


@pytest_asyncio.fixture(loop_scope="session")
async def signers(server: Server, admin: TongbanClient, org: Org) -> AsyncIterator[MakeSigner]:
    """`await signers()` makes one more signer (in the tests' own unit unless `unit_id` is
    given)."""
    made: list[Signer] = []

    async def make(unit_id: int | None = None, **options: Any) -> Signer:
        person = await make_person(admin, unit_id or await home_unit(admin, org), **options)
        client = await logged_in(server, person)
        key = DeviceKey.generate()
        device = await client.register_device("办公手机", "android", key)
        made.append(Signer(person, client, key, device))
        return made[-1]

    yield make
    for signer in made:
        await signer.client.aclose()


async def start(initiator: Signer, steps: Sequence[Json], *, content: str | None = None,
                **options: Any) -> Json:
    """An ad-hoc chain started by `initiator` through the client."""
    return await initiator.client.start_chain(
        title=options.pop("title", f"关于{unique('事项')}的请示"), subject_id=unique("s"),
        content_sha256=content or digest(unique("正文")), steps=steps, **options,
    )


async def two_steps(initiator: Signer, first: Signer, second: Signer, **options: Any) -> Json:
    """The common chain: 核稿 by `first`, then 签发 by `second`."""
    return await start(initiator, [step("核稿", "one", people=[first.id]),
                                   step("签发", "one", people=[second.id])], **options)


def people(*signers: Signer) -> list[int]:
    return [signer.id for signer in signers]


async def audit_actions(chain_id: int) -> list[str]:
    rows = await AuditEntry.filter(record_type="approval_chain", record_id=str(chain_id)) \
        .order_by("seq").values_list("action", flat=True)
    return [str(action) for action in rows]
