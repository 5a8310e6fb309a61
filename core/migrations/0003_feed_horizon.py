"""The feed horizon: one row saying up to which event id retention has removed the feed."""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


async def create_row(apps: Any, editor: Any) -> None:
    await editor.client.execute_script(
        "INSERT INTO core_feed_horizon (id, pruned_through) VALUES (1, 0)"
    )


async def drop_row(apps: Any, editor: Any) -> None:
    await editor.client.execute_script("DELETE FROM core_feed_horizon WHERE id = 1")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_limit_counters")]

    operations = [
        ops.CreateModel(
            name="FeedHorizon",
            fields=[
                ("id", fields.IntField(primary_key=True, unique=True, db_index=True)),
                ("pruned_through", fields.BigIntField(default=0)),
                ("pruned_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "core_feed_horizon", "app": "core", "pk_attr": "id",
                     "table_description": "How far retention has cut the feed: every event with "
                     "`id <= pruned_through` is gone."},
            bases=["Model"],
        ),
        ops.RunPython(create_row, drop_row),
    ]
