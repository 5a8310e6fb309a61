"""What this package contributes at start-up: nothing to register.

Approval events go to `user:{id}` audiences, which everyone hears already; subject types are
registered by the packages that own them (`approvals.handlers.register_subject`), and the two
ad-hoc types are built in.
"""

from __future__ import annotations


def wire() -> None:
    """Register this package's audience resolvers, refresh kinds, hooks and jobs (none)."""
