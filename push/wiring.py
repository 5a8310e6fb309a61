"""What push contributes at start-up (its lookups into other packages are wired by `server`,
in `server.push_sources`, since push may not import its sibling packages)."""

from __future__ import annotations

from push.metrics import install


def wire() -> None:
    """The outbox depth, measured at each scrape. Push registers no hook in lower packages: it
    learns of logouts and revocations from the feed (`session.revoked`, `device.revoked`), in
    order with everything it rings for."""
    install()
