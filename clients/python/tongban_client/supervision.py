"""Client methods: Task supervision (督办)."""

from __future__ import annotations

from tongban_client.base import ApiBase


class SupervisionApi(ApiBase):
    """Task supervision (督办)."""
