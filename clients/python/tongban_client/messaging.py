"""Client methods: Conversations and messages."""

from __future__ import annotations

from tongban_client.base import ApiBase


class MessagingApi(ApiBase):
    """Conversations and messages."""
