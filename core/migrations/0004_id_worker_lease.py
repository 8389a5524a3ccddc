# The table of core.models.IdWorkerLease. The model is unmanaged, so that flush
# leaves live processes their leases; the table is created here all the same.

from django.db import migrations, models



def fields():
    return [
        ("worker_id", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
        ("holder", models.CharField(help_text="host:pid:random of the process", max_length=100)),
        ("expires_at", models.DateTimeField()),
    ]


OPTIONS = {"db_table": "core_idworkerlease", "verbose_name": "id worker lease"}


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_event_delivery_plural"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.CreateModel(name="IdWorkerLease", fields=fields(), options=OPTIONS),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="IdWorkerLease", fields=fields(), options={**OPTIONS, "managed": False}
                ),
            ],
        ),
    ]
