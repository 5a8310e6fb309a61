"""The document's subject handler: how the approval engine sees documents.

- the hash to sign is the document's current version's (`content_sha256`), so a decision
  signed over any other version is refused (409 content-changed);
- whoever may see the document may see its chains;
- a chain that finishes or comes back moves the document, in the deciding transaction: a
  sign-off chain (`documents.signoff`), a 批办 chain (`documents.receiving`). Chains that no
  longer are the document's current one are ignored, as are steps returned to an earlier step
  (the chain still runs).
"""

from __future__ import annotations

from approvals.handlers import SubjectHandler
from approvals.models import Chain
from documents.models import Document
from documents.policy import Purpose
from documents.queries import may_see
from documents.receiving import instruction_outcome
from documents.signoff import signoff_outcome


async def _document(subject_id: str) -> Document | None:
    if not subject_id.isdigit() or len(subject_id) > 10:
        return None
    return await Document.get_or_none(id=int(subject_id))


class DocumentSubject(SubjectHandler):
    direct_start = False

    async def current_sha256(self, subject_id: str) -> str | None:
        document = await _document(subject_id)
        return document.content_sha256 if document else None

    async def may_view(self, person_id: int, subject_id: str) -> bool:
        document = await _document(subject_id)
        return document is not None and await may_see(person_id, document)

    async def on_completed(self, chain: Chain) -> None:
        await _outcome(chain, "completed")

    async def on_rejected(self, chain: Chain) -> None:
        await _outcome(chain, "rejected")

    async def on_returned(self, chain: Chain) -> None:
        if chain.state == "returned":  # not a step sent back to an earlier step
            await _outcome(chain, "returned")

    async def on_withdrawn(self, chain: Chain) -> None:
        await _outcome(chain, "withdrawn")


async def _outcome(chain: Chain, outcome: str) -> None:
    document = await _document(chain.subject_id)
    if document is None or document.chain_id != chain.id:
        return
    if document.chain_purpose == Purpose.INSTRUCT:
        await instruction_outcome(document, chain, outcome)
    else:
        await signoff_outcome(document, chain, outcome)
