"""Chinese substring search over message bodies (see `messaging.search`).

SQLite: an FTS5 table with the trigram tokenizer, kept in step with `msg_message` by
triggers (a recall empties the body, which removes it from the index). PostgreSQL: a pg_trgm
GIN index, which serves `LIKE '%…%'` for patterns of three characters or more.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_FORWARD = [
    ("CREATE VIRTUAL TABLE msg_message_fts USING fts5("
     "body, content='msg_message', content_rowid='id', tokenize='trigram')"),
    ("CREATE TRIGGER msg_message_fts_insert AFTER INSERT ON msg_message BEGIN "
     "INSERT INTO msg_message_fts(rowid, body) VALUES (new.id, new.body); END"),
    ("CREATE TRIGGER msg_message_fts_delete AFTER DELETE ON msg_message BEGIN "
     "INSERT INTO msg_message_fts(msg_message_fts, rowid, body) "
     "VALUES ('delete', old.id, old.body); END"),
    ("CREATE TRIGGER msg_message_fts_update AFTER UPDATE OF body ON msg_message BEGIN "
     "INSERT INTO msg_message_fts(msg_message_fts, rowid, body) "
     "VALUES ('delete', old.id, old.body); "
     "INSERT INTO msg_message_fts(rowid, body) VALUES (new.id, new.body); END"),
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS msg_message_fts_update",
    "DROP TRIGGER IF EXISTS msg_message_fts_delete",
    "DROP TRIGGER IF EXISTS msg_message_fts_insert",
    "DROP TABLE IF EXISTS msg_message_fts",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX msg_message_body_trgm ON msg_message USING gin (body gin_trgm_ops)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS msg_message_body_trgm"]


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
    dependencies = [("messaging", "0001_initial")]  # noqa: RUF012 — tortoise's form

    operations = [ops.RunPython(forward, backward)]  # noqa: RUF012
