"""Chinese substring search over documents' titles, numbers and text (see `documents.search`).

SQLite: an FTS5 table with the trigram tokenizer over `doc_text`, kept in step by triggers.
PostgreSQL: a pg_trgm GIN index over the same text expression the search uses with ILIKE.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_FORWARD = [
    ("CREATE VIRTUAL TABLE doc_text_fts USING fts5("
     "title, number, body, content='doc_text', content_rowid='id', tokenize='trigram')"),
    ("CREATE TRIGGER doc_text_fts_insert AFTER INSERT ON doc_text BEGIN "
     "INSERT INTO doc_text_fts(rowid, title, number, body) "
     "VALUES (new.id, new.title, new.number, new.body); END"),
    ("CREATE TRIGGER doc_text_fts_delete AFTER DELETE ON doc_text BEGIN "
     "INSERT INTO doc_text_fts(doc_text_fts, rowid, title, number, body) "
     "VALUES ('delete', old.id, old.title, old.number, old.body); END"),
    ("CREATE TRIGGER doc_text_fts_update AFTER UPDATE OF title, number, body ON doc_text BEGIN "
     "INSERT INTO doc_text_fts(doc_text_fts, rowid, title, number, body) "
     "VALUES ('delete', old.id, old.title, old.number, old.body); "
     "INSERT INTO doc_text_fts(rowid, title, number, body) "
     "VALUES (new.id, new.title, new.number, new.body); END"),
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS doc_text_fts_update",
    "DROP TRIGGER IF EXISTS doc_text_fts_delete",
    "DROP TRIGGER IF EXISTS doc_text_fts_insert",
    "DROP TABLE IF EXISTS doc_text_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    ("CREATE INDEX doc_text_trgm ON doc_text USING gin "
     "((title || ' ' || number || ' ' || body) gin_trgm_ops)"),
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS doc_text_trgm"]


async def _run(schema_editor, sqlite, postgres):
    client = schema_editor.client
    statements = sqlite if client.capabilities.dialect == "sqlite" else postgres
    for statement in statements:  # one by one: trigger bodies contain semicolons
        await client.execute_query(statement)


async def forward(apps, schema_editor):
    await _run(schema_editor, SQLITE_FORWARD, POSTGRES_FORWARD)


async def backward(apps, schema_editor):
    await _run(schema_editor, SQLITE_BACKWARD, POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]  # noqa: RUF012 — tortoise's form

    operations = [ops.RunPython(forward, backward)]  # noqa: RUF012
