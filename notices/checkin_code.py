"""Rotating check-in codes (签到码): TOTP (RFC 6238) over a per-meeting secret, HMAC-SHA256.

The organiser's device shows the code of the current 30-second step. An attendee's code is
accepted for the current step and the one before it (so a code read just before it turned
still works), never older: a screenshot forwarded to someone elsewhere is useless a minute later.
"""

from __future__ import annotations

import hmac
import secrets
import struct
from datetime import datetime

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """A fresh per-meeting secret (hex, 160 bits)."""
    return secrets.token_hex(20)


def hotp(secret: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha256") -> str:
    """RFC 4226 HOTP with dynamic truncation (RFC 6238 allows SHA-256)."""
    mac = hmac.new(secret, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret_hex: str, moment: datetime) -> str:
    return hotp(bytes.fromhex(secret_hex), step_of(moment))


def seconds_left(moment: datetime) -> int:
    """How long the code shown at `moment` remains the current one."""
    return STEP_SECONDS - int(moment.timestamp()) % STEP_SECONDS


def code_matches(secret_hex: str, code: str, moment: datetime) -> bool:
    """Whether `code` is the current or the previous step's code (compared in constant time)."""
    step = step_of(moment)
    secret = bytes.fromhex(secret_hex)
    candidates = (hotp(secret, step), hotp(secret, step - 1))
    matched = [hmac.compare_digest(code.encode(), c.encode()) for c in candidates]
    return any(matched)
