"""Task states mean one thing each: `accepted` (签收) is renamed `received`, so that `accept`
only ever means the supervisor's 复核 that makes a task `done`. Tasks get the desk that assigned
them in their government's name (`acting_unit`, 代政府督办) and the `continuing` mark (the
source was finished, the work goes on)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


async def rename_received(apps, schema_editor):
    await schema_editor.client.execute_script(
        "UPDATE sup_task SET state = 'received' WHERE state = 'accepted'")


async def rename_accepted(apps, schema_editor):
    await schema_editor.client.execute_script(
        "UPDATE sup_task SET state = 'accepted' WHERE state = 'received'")


class Migration(migrations.Migration):
    dependencies = [('directory', '0002_unit_desk'), ('supervision', '0002_path_pattern_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Task',
            name='acting_unit',
            field=fields.ForeignKeyField('directory.Unit', source_field='acting_unit_id', null=True, db_constraint=True, to_field='id', related_name='acted_tasks', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Task',
            name='continuing',
            field=fields.BooleanField(default=False),
        ),
        ops.RunPython(rename_received, rename_accepted),
    ]
