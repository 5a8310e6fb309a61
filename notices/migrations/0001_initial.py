from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('directory', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('urgency', fields.CharField(default='normal', max_length=16)),
                ('state', fields.CharField(default='publishing', db_index=True, max_length=16)),
                ('publisher', fields.ForeignKeyField('directory.Person', source_field='publisher_id', db_constraint=True, to_field='id', related_name='published_notices', on_delete=OnDelete.RESTRICT)),
                ('audience', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('idempotency_key', fields.CharField(null=True, max_length=128)),
                ('requires_confirmation', fields.BooleanField(default=False)),
                ('confirm_deadline', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rsvp_deadline', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('remind_before_minutes', fields.IntField(default=30)),
                ('revision', fields.IntField(default=1)),
                ('recipient_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('end_reason', fields.TextField(null=True, unique=False)),
                ('last_reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('location', fields.CharField(null=True, max_length=200)),
                ('online_url', fields.CharField(null=True, max_length=500)),
                ('agenda', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('checkin_secret', fields.CharField(null=True, max_length=64)),
                ('checkin_opens_minutes', fields.IntField(default=30)),
                ('late_after_minutes', fields.IntField(default=0)),
            ],
            options={'table': 'notice', 'app': 'notices', 'unique_together': (('publisher', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': 'A notice or a meeting call, sent once to an audience resolved to people at sending time.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('notices.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('file_id', fields.IntField(db_index=True)),
                ('name', fields.CharField(default='', max_length=255)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'notice_file', 'app': 'notices', 'unique_together': (('notice', 'file_id'),), 'pk_attr': 'id', 'table_description': 'An attachment or meeting material (材料), by the id of an uploaded file.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRecipient',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('notices.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='notice_receipts', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.ForeignKeyField('directory.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='notice_receipts', on_delete=OnDelete.RESTRICT)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rsvp', fields.CharField(null=True, max_length=16)),
                ('rsvp_reason', fields.TextField(null=True, unique=False)),
                ('rsvp_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reconfirm', fields.BooleanField(default=False)),
                ('substitute_id', fields.IntField(null=True)),
                ('substitute_for_id', fields.BigIntField(null=True)),
                ('checked_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('late', fields.BooleanField(default=False)),
            ],
            options={'table': 'notice_recipient', 'app': 'notices', 'unique_together': (('notice', 'person'),), 'indexes': [Index(fields=['person_id', 'notice_id']), Index(fields=['notice_id', 'unit_id', 'read_at', 'confirmed_at', 'rsvp', 'reconfirm', 'checked_in_at', 'late', 'substitute_for_id'])], 'pk_attr': 'id', 'table_description': 'One person addressed by a notice, with the unit they were in when it was sent (送达回执).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRevision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('notices.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('changed', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('before', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('note', fields.TextField(unique=False)),
                ('reconfirm', fields.BooleanField(default=False)),
                ('author_id', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice_revision', 'app': 'notices', 'unique_together': (('notice', 'number'),), 'pk_attr': 'id', 'table_description': "A correction (更正) or a change of a meeting's time or place: what changed, and why."},
            bases=['Model'],
        ),
    ]
