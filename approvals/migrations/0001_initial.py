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
            name='Chain',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_type', fields.CharField(max_length=32)),
                ('subject_id', fields.CharField(max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('initiator', fields.ForeignKeyField('directory.Person', source_field='initiator_id', db_constraint=True, to_field='id', related_name='started_chains', on_delete=OnDelete.RESTRICT)),
                ('content_sha256', fields.CharField(max_length=64)),
                ('watchers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='running', max_length=16)),
                ('urgency', fields.SmallIntField(default=0)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('version', fields.IntField(default=0)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appr_chain', 'app': 'approvals', 'indexes': [Index(fields=['subject_type', 'subject_id']), Index(fields=['initiator_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A sign-off chain about one subject (`subject_type`, `subject_id`) at one content hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutOfOffice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='absences', on_delete=OnDelete.CASCADE)),
                ('delegate', fields.ForeignKeyField('directory.Person', source_field='delegate_id', db_constraint=True, to_field='id', related_name='covering', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appr_out_of_office', 'app': 'approvals', 'indexes': [Index(fields=['person_id', 'ends_at'])], 'pk_attr': 'id', 'table_description': 'A period in which steps that open for `person` go to `delegate` (外出委托).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Step',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chain', fields.ForeignKeyField('approvals.Chain', source_field='chain_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('label', fields.CharField(max_length=32)),
                ('mode', fields.CharField(max_length=8)),
                ('quorum_count', fields.SmallIntField(null=True)),
                ('quorum_share', fields.FloatField(null=True)),
                ('assignees', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('state', fields.CharField(default='waiting', max_length=16)),
                ('round', fields.SmallIntField(default=0)),
                ('added_by_id', fields.IntField(null=True)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appr_step', 'app': 'approvals', 'indexes': [Index(fields=['chain_id', 'position'])], 'pk_attr': 'id', 'table_description': 'One step (核稿, 会签, 签发 …): its mode, its planned assignees and where it stands.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Assignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chain', fields.ForeignKeyField('approvals.Chain', source_field='chain_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('step', fields.ForeignKeyField('approvals.Step', source_field='step_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('round', fields.SmallIntField()),
                ('person', fields.ForeignKeyField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.RESTRICT)),
                ('on_behalf_of', fields.ForeignKeyField('directory.Person', source_field='on_behalf_of_id', null=True, db_constraint=True, to_field='id', related_name='delegated_assignments', on_delete=OnDelete.RESTRICT)),
                ('via', fields.CharField(default='assigned', max_length=16)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('urgency', fields.SmallIntField(default=0)),
                ('sort_due', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appr_assignment', 'app': 'approvals', 'indexes': [Index(fields=['person_id', 'state', 'urgency', 'sort_due']), Index(fields=['chain_id', 'round'])], 'pk_attr': 'id', 'table_description': "A person's seat on a step in one round, `on_behalf_of` someone when it came by delegation."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Decision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('chain', fields.ForeignKeyField('approvals.Chain', source_field='chain_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.CASCADE)),
                ('step', fields.ForeignKeyField('approvals.Step', source_field='step_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.CASCADE)),
                ('assignment', fields.ForeignKeyField('approvals.Assignment', source_field='assignment_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.CASCADE)),
                ('round', fields.SmallIntField()),
                ('person', fields.ForeignKeyField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('on_behalf_of_id', fields.IntField(null=True)),
                ('verdict', fields.CharField(max_length=8)),
                ('comment', fields.TextField(unique=False)),
                ('content_sha256', fields.CharField(max_length=64)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('nonce', fields.CharField(unique=True, max_length=128)),
                ('device', fields.ForeignKeyField('directory.Device', source_field='device_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('signature', fields.TextField(unique=False)),
                ('return_to_step_id', fields.IntField(null=True)),
                ('decided_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retracted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appr_decision', 'app': 'approvals', 'indexes': [Index(fields=['chain_id', 'id']), Index(fields=['person_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A signed decision: the compact JWS as received, the device that made it, and the fields'},
            bases=['Model'],
        ),
    ]
