"""PostgreSQL: an index that serves `path LIKE '/1/5/%'` whatever the database's collation.

A plain btree index on a varchar only serves prefix LIKE under the C collation, so the subtree
scans of the ledger and the statistics get a `varchar_pattern_ops` index, covering the columns
the statistics read. SQLite needs nothing: its subtree scans are byte-order ranges on the
ordinary index of migration 0001.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "sup_task_path_pattern"


async def create_index(apps: Any, editor: Any) -> None:
    if editor.client.capabilities.dialect == "postgres":
        await editor.client.execute_script(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON sup_task "
            "(path varchar_pattern_ops, state, due_at, submitted_at, late_seconds)"
        )


async def drop_index(apps: Any, editor: Any) -> None:
    if editor.client.capabilities.dialect == "postgres":
        await editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [ops.RunPython(create_index, drop_index)]
