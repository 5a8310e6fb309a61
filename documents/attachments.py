"""Downloads through documents: whoever may see a document may download the files it
references (body, attachments of every version, answers), and nobody else (404)."""

from __future__ import annotations

from documents.models import Document, DocumentFile
from documents.queries import may_see


async def may_download(person_id: int, file_id: int) -> bool:
    """The files package asks this: may the person see a document that references the file?"""
    ids = await DocumentFile.filter(file_id=file_id).values_list("document_id", flat=True)
    for document in await Document.filter(id__in=set(ids)):
        if await may_see(person_id, document):
            return True
    return False
