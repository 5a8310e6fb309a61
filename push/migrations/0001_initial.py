"""The push tables: channels, settings, the outbox, the follower's cursor and SMS escalations."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='PushChannel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('device_id', fields.IntField(unique=True)),
                ('person_id', fields.IntField(db_index=True)),
                ('session_id', fields.CharField(db_index=True, max_length=32)),
                ('provider', fields.CharField(max_length=16)),
                ('token', fields.CharField(max_length=512)),
                ('app_id', fields.CharField(max_length=128)),
                ('state', fields.CharField(default='active', max_length=16)),
                ('disabled_reason', fields.CharField(null=True, max_length=200)),
                ('foreground_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attached_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_channel', 'app': 'push', 'pk_attr': 'id', 'table_description': 'The one push channel of a device: provider, token and app id, and what the server knows'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushCursor',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('position', fields.BigIntField(default=0)),
                ('lease_owner', fields.CharField(null=True, max_length=32)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_cursor', 'app': 'push', 'pk_attr': 'name', 'table_description': 'How far the follower has turned feed events into notifications, and who holds its lease.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushEscalation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('record', fields.CharField(max_length=64)),
                ('person_id', fields.IntField()),
                ('sender_id', fields.IntField(null=True)),
                ('outcome', fields.CharField(max_length=16)),
                ('reason', fields.CharField(null=True, max_length=300)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_escalation', 'app': 'push', 'unique_together': (('record', 'person_id'),), 'indexes': [Index(fields=['person_id', 'at']), Index(fields=['sender_id', 'at'])], 'pk_attr': 'id', 'table_description': 'An SMS sent (or refused by a limit) for a 特急 record left unconfirmed: at most one per'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushNotification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.BigIntField(null=True)),
                ('channel_id', fields.IntField()),
                ('person_id', fields.IntField()),
                ('provider', fields.CharField(max_length=16)),
                ('kind', fields.CharField(max_length=48)),
                ('line', fields.CharField(max_length=64)),
                ('collapse_id', fields.CharField(max_length=64)),
                ('data', fields.TextField(unique=False)),
                ('title', fields.CharField(default='', max_length=200)),
                ('body', fields.CharField(default='', max_length=500)),
                ('urgent', fields.BooleanField(default=False)),
                ('withdraw', fields.BooleanField(default=False)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('reason', fields.CharField(null=True, max_length=300)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_notification', 'app': 'push', 'unique_together': (('event_id', 'channel_id'),), 'indexes': [Index(fields=['state', 'due_at']), Index(fields=['collapse_id', 'channel_id'])], 'pk_attr': 'id', 'table_description': 'One notification for one channel (the outbox row). Written by the follower in the same'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushSettings',
            fields=[
                ('person_id', fields.IntField(primary_key=True, unique=True, db_index=True)),
                ('urgent_during_quiet', fields.BooleanField(default=True)),
                ('sms_phone', fields.CharField(null=True, max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_settings', 'app': 'push', 'pk_attr': 'person_id', 'table_description': "A person's own push choices: whether 特急/加急 ring through quiet hours (免打扰时段, kept"},
            bases=['Model'],
        ),
    ]
