"""Login limits shared by every server process: one counter row per account and per address."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        ops.CreateModel(
            name='LimitCounter',
            fields=[
                ('name', fields.CharField(primary_key=True, max_length=200)),
                ('hits', fields.IntField()),
                ('reset_at', fields.FloatField()),
            ],
            options={'table': 'core_limit_counter', 'app': 'core', 'pk_attr': 'name', 'table_description': 'Tries counted in a fixed window for one key (`login:acct:…`), shared by every process.'},
            bases=['Model'],
        ),
    ]
