"""Client methods: Uploads (快传)."""

from __future__ import annotations

from tongban_client.base import ApiBase


class FilesApi(ApiBase):
    """Uploads (快传)."""
