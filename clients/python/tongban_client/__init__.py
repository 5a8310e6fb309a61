"""Reference client for the Tongban (通办) mobile-office API."""

from __future__ import annotations

from tongban_client.client import TongbanClient
from tongban_client.errors import (
    ApiError,
    FeedReset,
    ProtocolError,
    SessionEnded,
    StreamRejected,
    TongbanError,
)
from tongban_client.keys import DeviceKey, jwk_thumbprint
from tongban_client.push import PushRecord, decode_push
from tongban_client.stream import Backoff, EventStream

__all__ = [
    "ApiError",
    "Backoff",
    "DeviceKey",
    "EventStream",
    "FeedReset",
    "ProtocolError",
    "PushRecord",
    "SessionEnded",
    "StreamRejected",
    "TongbanClient",
    "TongbanError",
    "decode_push",
    "jwk_thumbprint",
]
