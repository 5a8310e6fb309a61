"""Subject handlers: how packages that run chains about their records hook into the engine.

The engine knows nothing of documents. A package registers a `SubjectHandler` for its subject
type at start-up (`register_subject("document", DocumentSubject())`); the engine calls its hooks
inside the transaction of the move, so the subject's state never disagrees with its chain.
Moves share group commits (`approvals.engine`): a batch that fails is rolled back and run again,
so a hook may run more than once for one move and must touch nothing but the database.

A package starts chains with `approvals.actions.do_start_chain` and, when a new version of its
subject goes under review, calls `do_change_content` (the chain starts again, approvals of the
old hash are shown stale) — both inside its own transaction if it likes.

The base class is itself the handler of ad-hoc chains (`ad-hoc`, `generic`): the content hash
given when the chain started (and changed by its initiator) is the truth, nobody else may look,
and nothing else happens when the chain ends.
"""

from __future__ import annotations

from approvals.models import Chain
from core.errors import Unprocessable, field_error

AD_HOC_TYPES = ("ad-hoc", "generic")


class SubjectHandler:
    """Hooks for one subject type; override what your subject needs."""

    # Whether chains about it may be started with `POST /v1/approvals` (documents start their
    # own chains when a draft is submitted, so they say no).
    direct_start: bool = False

    async def current_sha256(self, subject_id: str) -> str | None:
        """The hash of the version under review now; None: the chain's own record is the truth."""
        return None

    async def may_view(self, person_id: int, subject_id: str) -> bool:
        """Whether someone outside the chain may read it because they may read its subject."""
        return False

    async def on_completed(self, chain: Chain) -> None:
        """Every step approved (in the deciding transaction)."""

    async def on_rejected(self, chain: Chain) -> None:
        """A step rejected it."""

    async def on_returned(self, chain: Chain) -> None:
        """退回: sent back to the initiator or to an earlier step."""

    async def on_withdrawn(self, chain: Chain) -> None:
        """撤回 by its initiator."""


class AdHocSubject(SubjectHandler):
    direct_start = True


_handlers: dict[str, SubjectHandler] = {name: AdHocSubject() for name in AD_HOC_TYPES}


def register_subject(subject_type: str, handler: SubjectHandler) -> None:
    """Let `handler` speak for chains about `subject_type` (idempotent at start-up)."""
    _handlers[subject_type] = handler


def handler_for(subject_type: str) -> SubjectHandler:
    """The handler of a stored chain's subject type (a type no longer registered: ad-hoc rules)."""
    return _handlers.get(subject_type) or _handlers[AD_HOC_TYPES[0]]


def startable_handler(subject_type: str) -> SubjectHandler:
    """The handler of a subject type that may be started over HTTP, or 422."""
    handler = _handlers.get(subject_type)
    if handler is None or not handler.direct_start:
        msg = (f"Chains about {subject_type!r} are started by their own package."
               if handler else f"Unknown subject type {subject_type!r}; use 'ad-hoc'.")
        raise Unprocessable(msg, errors=[field_error(["subject_type"], msg, "subject_type")])
    return handler


async def current_hash(chain: Chain) -> str:
    """The content hash a decision on this chain must have signed now."""
    found = await handler_for(chain.subject_type).current_sha256(chain.subject_id)
    return found or chain.content_sha256
