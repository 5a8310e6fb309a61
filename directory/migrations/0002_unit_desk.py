"""A unit may name its document desk (`dir_unit.desk_id`): the 办公室/办公厅 whose clerks receive,
register and route what is addressed to it (see `directory.routing`)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('directory', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Unit',
            name='desk',
            field=fields.ForeignKeyField('directory.Unit', source_field='desk_id', null=True, db_constraint=True, to_field='id', related_name='served_units', on_delete=OnDelete.RESTRICT),
        ),
    ]
