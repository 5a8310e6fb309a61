"""What the files package contributes at start-up: nothing of its own.

Packages that reference files call `files.access.register_reference` from their own wiring.
"""

from __future__ import annotations


def wire() -> None:
    """No audiences, hooks or jobs: files are reached through the records that reference them."""
