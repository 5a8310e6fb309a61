"""Local stand-ins for the push vendors, real enough to test the providers against: an HTTP/2
APNs, HTTP Huawei Push Kit, FCM v1, a Matrix-shaped push gateway and an SMS webhook. Each
checks credentials the way its vendor does, records what it got (`fake.script.received`) and
answers as scripted (`fake.script.queue/always`, `fake.script.latency`).

In pytest: `await fake.start()` in the test's loop, `fake.url`, `await fake.stop()`.
As a process: `python -m tests.push.fakes --kind gateway --port 9000 --latency 0.02`."""

from .apns import FakeApns, apns_error
from .fcm import FakeFcm, fcm_error
from .gateway import FakeGateway
from .hms import FakeHms, hms_code
from .script import Answer, Received, Script
from .sms import FakeSms

__all__ = [
    "Answer", "FakeApns", "FakeFcm", "FakeGateway", "FakeHms", "FakeSms", "Received", "Script",
    "apns_error", "fcm_error", "hms_code",
]
