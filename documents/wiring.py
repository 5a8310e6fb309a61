"""What this package contributes at start-up: audiences, hooks, jobs."""

from __future__ import annotations


def wire() -> None:
    """Register this package's subject handler, file references and jobs (idempotent)."""
