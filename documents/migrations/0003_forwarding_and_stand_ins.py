"""转发: a document may forward a received one (`forwards_id`). A delegate's signature shows both
names: whom the 签发 (`signed_for_id`) and the 批办 (`instructed_for_id`) were made for."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('directory', '0002_unit_desk'), ('documents', '0002_search')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Delivery',
            name='instructed_for_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Document',
            name='forwards',
            field=fields.ForeignKeyField('documents.Document', source_field='forwards_id', null=True, db_constraint=True, to_field='id', related_name='forwarded_as', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Document',
            name='signed_for_id',
            field=fields.IntField(null=True),
        ),
    ]
