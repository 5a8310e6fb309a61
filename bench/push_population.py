"""One phone per person for the push benchmark, written straight through the models.

    python -m bench.push_population --skip 20     (TONGBAN_* settings apply)

Run after `bench.notices_population`, before the server starts, on the same data folder. For
every person of that population but the last `--skip` (who attach theirs through the public
API, `POST /v1/devices` then `PUT /v1/devices/{id}/push`, in the benchmark itself), it
bulk-inserts a registered device and its push channel on the `gateway` provider. Through the
API this would be three requests and a login per person, 300,000 requests for a city: longer
than the benchmark itself, and not what it measures. Prints a JSON line with the count.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from core.clock import utcnow
from core.config import load_settings
from core.db import close_db, open_db
from core.tx import atomic
from directory.models import Device, Person
from push.models import PushChannel
from server.apps import database_config

APP_ID = "cn.gov.tongban"
CHUNK = 5000


def token_of(person_id: int) -> str:
    return f"bench-pushkey-{person_id}"


def phone(person_id: int) -> tuple[Device, PushChannel]:
    now = utcnow()
    jwk = {"kty": "EC", "crv": "P-256", "x": f"bench-x-{person_id}", "y": f"bench-y-{person_id}"}
    device = Device(id=person_id, person_id=person_id, name="办公手机", platform="android",
                    public_jwk=jwk, thumbprint=f"bench-{person_id}")
    channel = PushChannel(device_id=person_id, person_id=person_id, session_id="bench",
                          provider="gateway", token=token_of(person_id), app_id=APP_ID,
                          attached_at=now, updated_at=now)
    return device, channel


async def insert(skip: int) -> int:
    ids = sorted(await Person.filter(username__startswith="p").values_list("id", flat=True))
    ids = ids[: len(ids) - skip] if skip else ids
    for start in range(0, len(ids), CHUNK):
        phones = [phone(int(person_id)) for person_id in ids[start : start + CHUNK]]
        async with atomic():
            await Device.bulk_create([device for device, _ in phones])
            await PushChannel.bulk_create([channel for _, channel in phones])
    return len(ids)


async def main(skip: int) -> None:
    settings = load_settings()
    await open_db(database_config(settings.database_url))
    try:
        print(json.dumps({"phones": await insert(skip)}), flush=True)
    finally:
        await close_db()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bulk-insert one phone per bench person")
    parser.add_argument("--skip", type=int, default=20)
    asyncio.run(main(parser.parse_args().skip))
