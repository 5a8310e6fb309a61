"""Client methods: Sign-off chains (签批)."""

from __future__ import annotations

from tongban_client.base import ApiBase


class ApprovalsApi(ApiBase):
    """Sign-off chains (签批)."""
