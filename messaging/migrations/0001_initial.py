import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('directory', '0001_initial'), ('files', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('title', fields.CharField(default='', max_length=128)),
                ('owner', fields.ForeignKeyField('directory.Person', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='owned_conversations', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.OneToOneField('directory.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='conversation', on_delete=OnDelete.RESTRICT)),
                ('direct_key', fields.CharField(null=True, unique=True, max_length=32)),
                ('last_seq', fields.BigIntField(default=0)),
                ('last_message_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('dissolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'msg_conversation', 'app': 'messaging', 'pk_attr': 'id', 'table_description': 'A conversation. `last_seq` is the seq of its newest message (allocated by an UPDATE).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('messaging.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='conversation_memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharField(default='member', max_length=16)),
                ('read_seq', fields.BigIntField(default=0)),
                ('muted', fields.BooleanField(default=False)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'msg_member', 'app': 'messaging', 'unique_together': (('conversation', 'person'),), 'indexes': [Index(fields=['person_id', 'conversation_id'])], 'pk_attr': 'id', 'table_description': "A person's place in a conversation: role, read position (已读位置) and mute."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('messaging.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField()),
                ('sender', fields.ForeignKeyField('directory.Person', source_field='sender_id', db_constraint=True, to_field='id', related_name='sent_messages', on_delete=OnDelete.RESTRICT)),
                ('client_msg_id', fields.CharField(max_length=64)),
                ('body', fields.TextField(default='', unique=False)),
                ('mentions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('mention_all', fields.BooleanField(default=False)),
                ('reply_to_id', fields.BigIntField(null=True)),
                ('file_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recalled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recalled_by_id', fields.IntField(null=True)),
                ('urged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'msg_message', 'app': 'messaging', 'unique_together': (('conversation', 'seq'), ('conversation', 'sender', 'client_msg_id')), 'pk_attr': 'id', 'table_description': 'One message. `seq` is gap-free per conversation. A recall empties it, leaving a tombstone.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attachment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('messaging.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('file', fields.ForeignKeyField('files.StoredFile', source_field='file_id', db_constraint=True, to_field='id', related_name='message_attachments', on_delete=OnDelete.RESTRICT)),
                ('conversation_id', fields.IntField()),
            ],
            options={'table': 'msg_attachment', 'app': 'messaging', 'indexes': [Index(fields=['file_id', 'conversation_id'])], 'pk_attr': 'id', 'table_description': "A file attached to a message, so the file is readable by the conversation's members."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QuietHours',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.OneToOneField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='quiet_hours', on_delete=OnDelete.CASCADE)),
                ('enabled', fields.BooleanField(default=True)),
                ('start', fields.CharField(max_length=5)),
                ('end', fields.CharField(max_length=5)),
                ('timezone', fields.CharField(default='Asia/Shanghai', max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'msg_quiet_hours', 'app': 'messaging', 'pk_attr': 'id', 'table_description': "A person's do-not-disturb hours (免打扰时段), as local wall-clock times in `timezone`."},
            bases=['Model'],
        ),
    ]
