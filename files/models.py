"""Tables of the files package: one row per uploaded file (快传), its bytes on disk."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from directory.models import Person


class StoredFile(Model):
    """An uploaded file. `path` is relative to `settings.data_dir / "files"`.

    The bytes are written and hashed before the row exists, so the row only ever names a
    complete file whose `sha256` and `size` are known.
    """

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "directory.Person", related_name="files", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=127)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64, db_index=True)
    path = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    owner_id: int

    class Meta:
        table = "file_stored"
