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
            name='Task',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('priority', fields.CharField(default='normal', max_length=16)),
                ('state', fields.CharField(default='assigned', max_length=16)),
                ('source_type', fields.CharField(null=True, max_length=32)),
                ('source_id', fields.CharField(null=True, max_length=64)),
                ('source_title', fields.CharField(null=True, max_length=200)),
                ('parent', fields.ForeignKeyField('supervision.Task', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('lineage', fields.CharField(default='', max_length=255)),
                ('creator', fields.ForeignKeyField('directory.Person', source_field='creator_id', db_constraint=True, to_field='id', related_name='created_tasks', on_delete=OnDelete.RESTRICT)),
                ('origin_unit', fields.ForeignKeyField('directory.Unit', source_field='origin_unit_id', db_constraint=True, to_field='id', related_name='assigned_tasks', on_delete=OnDelete.RESTRICT)),
                ('origin_path', fields.CharField(max_length=255)),
                ('lead_type', fields.CharField(max_length=8)),
                ('lead_id', fields.IntField()),
                ('unit', fields.ForeignKeyField('directory.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='led_tasks', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(max_length=255)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('original_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('received_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('late_seconds', fields.IntField(null=True)),
                ('overdue_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_urged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('percent', fields.SmallIntField(default=0)),
                ('rollup_percent', fields.SmallIntField(null=True)),
            ],
            options={'table': 'sup_task', 'app': 'supervision', 'indexes': [Index(fields=['path', 'state', 'due_at', 'submitted_at', 'late_seconds']), Index(fields=['origin_unit_id', 'id']), Index(fields=['creator_id', 'id']), Index(fields=['parent_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A supervised task (督办事项).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Extension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('supervision.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.CASCADE)),
                ('requested_by_id', fields.IntField()),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('old_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('new_due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(unique=False)),
                ('state', fields.CharField(default='pending', max_length=16)),
                ('decided_by_id', fields.IntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('comment', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'sup_extension', 'app': 'supervision', 'indexes': [Index(fields=['task_id', 'state'])], 'pk_attr': 'id', 'table_description': "An extension request (延期申请) and the supervisor's decision on it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskAssignee',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('supervision.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='assignees', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('directory.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='task_assignments', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharField(max_length=8)),
                ('via_unit', fields.ForeignKeyField('directory.Unit', source_field='via_unit_id', null=True, db_constraint=True, to_field='id', related_name='task_assignments', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'sup_task_assignee', 'app': 'supervision', 'unique_together': (('task', 'person'),), 'indexes': [Index(fields=['person_id', 'task_id'])], 'pk_attr': 'id', 'table_description': 'A person a task was assigned to, resolved when it was assigned (lead 主办 or assist 协办).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('supervision.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('actor_id', fields.IntField(null=True)),
                ('percent', fields.SmallIntField(null=True)),
                ('note', fields.TextField(default='', unique=False)),
                ('file_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sup_task_entry', 'app': 'supervision', 'indexes': [Index(fields=['task_id', 'id'])], 'pk_attr': 'id', 'table_description': "One line of a task's record (办理记录): a progress report, a decision, an urging…"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaskFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('supervision.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('file_id', fields.IntField(db_index=True)),
                ('entry_id', fields.IntField(null=True)),
            ],
            options={'table': 'sup_task_file', 'app': 'supervision', 'pk_attr': 'id', 'table_description': "A file attached to a task: to the task itself, or to one of its record's entries."},
            bases=['Model'],
        ),
    ]
