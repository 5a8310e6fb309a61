from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.BigIntField(unique=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor_id', fields.IntField(null=True)),
                ('session_id', fields.CharField(null=True, max_length=64)),
                ('device_id', fields.IntField(null=True)),
                ('address', fields.CharField(null=True, max_length=64)),
                ('action', fields.CharField(max_length=64)),
                ('record_type', fields.CharField(max_length=64)),
                ('record_id', fields.CharField(max_length=64)),
                ('detail', fields.TextField(unique=False)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'core_audit', 'app': 'core', 'indexes': [Index(fields=['record_type', 'record_id'])], 'pk_attr': 'id', 'table_description': 'An append-only, hash-chained record of a state change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Event',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=64)),
                ('audience', fields.CharField(max_length=64)),
                ('data', fields.TextField(unique=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_event', 'app': 'core', 'indexes': [Index(fields=['audience', 'id'])], 'pk_attr': 'id', 'table_description': 'One entry of the feed: a change that the people of `audience` should hear of.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdempotentReply',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person_id', fields.IntField()),
                ('key', fields.CharField(max_length=128)),
                ('route', fields.CharField(max_length=128)),
                ('status', fields.IntField()),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_idempotent_reply', 'app': 'core', 'unique_together': (('person_id', 'key', 'route'),), 'pk_attr': 'id', 'table_description': 'The first reply to a write carrying an `Idempotency-Key`, replayed on retries.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Job',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('key', fields.CharField(unique=True, max_length=128)),
                ('due_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('payload', fields.TextField(default='{}', unique=False)),
                ('state', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('lease_owner', fields.CharField(null=True, max_length=64)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_job', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A timed piece of work, run once across all server processes under a lease.'},
            bases=['Model'],
        ),
    ]
