"""Client methods: official documents (公文)."""

from __future__ import annotations

from tongban_client.base import ApiBase


class DocumentsApi(ApiBase):
    """Official documents (公文): draft, submit, issue, distribute, receive, circulate."""
