"""Tables of this package (none yet)."""

from __future__ import annotations
