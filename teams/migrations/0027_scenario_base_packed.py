"""A scenario's base is kept compressed (teams/packed_field.py) instead of as jsonb: the
values are moved across, then the jsonb columns dropped."""

from django.db import migrations

import teams.packed_field


def pack(apps, schema_editor):
    ScenarioBase = apps.get_model("teams", "ScenarioBase")
    for base in ScenarioBase.objects.only("pk", "data_json", "ids_json").iterator(chunk_size=10):
        base.data, base.ids = base.data_json, base.ids_json
        base.save(update_fields=["data", "ids"])


def unpack(apps, schema_editor):
    ScenarioBase = apps.get_model("teams", "ScenarioBase")
    for base in ScenarioBase.objects.only("pk", "data", "ids").iterator(chunk_size=10):
        base.data_json, base.ids_json = base.data, base.ids
        base.save(update_fields=["data_json", "ids_json"])


class Migration(migrations.Migration):
    dependencies = [("teams", "0026_scenario_reviews")]

    operations = [
        migrations.RenameField("scenariobase", "data", "data_json"),
        migrations.RenameField("scenariobase", "ids", "ids_json"),
        migrations.AddField("scenariobase", "data",
                            teams.packed_field.PackedJSONField(null=True)),
        migrations.AddField("scenariobase", "ids",
                            teams.packed_field.PackedJSONField(null=True)),
        migrations.RunPython(pack, unpack),
        migrations.RemoveField("scenariobase", "data_json"),
        migrations.RemoveField("scenariobase", "ids_json"),
        migrations.AlterField("scenariobase", "data", teams.packed_field.PackedJSONField()),
        migrations.AlterField("scenariobase", "ids", teams.packed_field.PackedJSONField()),
    ]
