"""A unit's 回执 to a meeting call: who attends for the unit (`notice_unit_reply`)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('directory', '0002_unit_desk'), ('notices', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NoticeUnitReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('notices.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='unit_replies', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('directory.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='notice_replies', on_delete=OnDelete.RESTRICT)),
                ('attendees', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(default='', unique=False)),
                ('answered_by_id', fields.IntField()),
                ('answered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice_unit_reply', 'app': 'notices', 'unique_together': (('notice', 'unit'),), 'pk_attr': 'id', 'table_description': "A unit's 回执 to a meeting call addressed to it: who attends for the unit, filled in by"},
            bases=['Model'],
        ),
    ]
