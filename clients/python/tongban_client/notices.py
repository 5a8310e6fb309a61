"""Client methods: Notices and meetings (通知公告/会议通知)."""

from __future__ import annotations

from tongban_client.base import ApiBase


class NoticesApi(ApiBase):
    """Notices and meetings (通知公告/会议通知)."""
