from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('documents', '0003_forwarding_and_stand_ins')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Artifact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document_id', fields.IntField(unique=True)),
                ('file_id', fields.IntField()),
                ('ofd_file_id', fields.IntField(null=True)),
                ('sha256', fields.CharField(max_length=64)),
                ('size', fields.IntField()),
                ('pages', fields.SmallIntField()),
                ('version', fields.IntField()),
                ('content_sha256', fields.CharField(max_length=64)),
                ('certificate_serial', fields.CharField(max_length=64)),
                ('missing', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('fonts', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('render_ms', fields.IntField()),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'doc_artifact', 'app': 'documents', 'pk_attr': 'id', 'table_description': 'The signed PDF of an issued document (正本): which version it renders, its file (and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IssuerProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_id', fields.IntField(unique=True)),
                ('mark', fields.CharField(default='', max_length=64)),
                ('mark_suffix', fields.CharField(default='文件', max_length=8)),
                ('signature', fields.CharField(default='', max_length=64)),
                ('seal_file_id', fields.IntField(null=True)),
                ('seal_sha256', fields.CharField(null=True, max_length=64)),
                ('seal_mm', fields.FloatField(default=42.0)),
                ('updated_by_id', fields.IntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'doc_issuer', 'app': 'documents', 'pk_attr': 'id', 'table_description': 'How a unit appears on what it issues: its 发文机关标志 (the red name, with 「文件」 or'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UnitCertificate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_id', fields.IntField(db_index=True)),
                ('serial', fields.CharField(unique=True, max_length=64)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('cert_pem', fields.TextField(unique=False)),
                ('key_path', fields.CharField(max_length=255)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('not_after', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoke_reason', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'doc_unit_cert', 'app': 'documents', 'pk_attr': 'id', 'table_description': 'A signing certificate the deployment CA issued to a unit, the newest unrevoked one'},
            bases=['Model'],
        ),
    ]
