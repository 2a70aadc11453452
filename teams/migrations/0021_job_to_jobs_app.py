"""The Job model moves to its own app (orgdesign.jobs): its table is renamed to the new app's
name and teams forgets the model; the jobs app's first migration takes it over without
touching the database."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("teams", "0020_worker_type_level"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name="job", table="jobs_job")],
            state_operations=[migrations.DeleteModel(name="job")],
        ),
    ]
