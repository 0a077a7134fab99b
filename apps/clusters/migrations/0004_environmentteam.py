"""Environment.teams gets a model of its own that stores each team's namespace.

The table stays Django's M2M table (clusters_environment_teams) with two more
columns, so existing grants are kept; their namespaces are filled in here, and a
database that already holds two teams in one namespace is refused by name.
"""

import django.db.models.deletion
from django.db import migrations, models


def store_namespaces(apps, schema_editor):
    EnvironmentTeam = apps.get_model("clusters", "EnvironmentTeam")
    holders: dict[tuple[int, str], str] = {}
    for link in EnvironmentTeam.objects.select_related("environment", "team"):
        link.cluster_id = link.environment.cluster_id
        link.namespace = f"{link.environment.namespace}-{link.team.name}"
        here = f"team '{link.team.name}' of environment '{link.environment.name}'"
        other = holders.setdefault((link.cluster_id, link.namespace), here)
        if other != here:
            raise RuntimeError(
                f"Namespace '{link.namespace}' is shared by {other} and {here}. Remove one "
                "team from its environment (or change a namespace prefix) and migrate again."
            )
        link.save(update_fields=["cluster", "namespace"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("clusters", "0003_cluster_prometheus_url_http_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="EnvironmentTeam",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "environment",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="team_links",
                                to="clusters.environment",
                            ),
                        ),
                        (
                            "team",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="environment_links",
                                to="accounts.team",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "team access",
                        "verbose_name_plural": "teams that may deploy here",
                        "db_table": "clusters_environment_teams",
                        "unique_together": {("environment", "team")},
                    },
                ),
                migrations.AlterField(
                    model_name="environment",
                    name="teams",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Teams that may deploy here.",
                        related_name="environments",
                        through="clusters.EnvironmentTeam",
                        to="accounts.team",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="environmentteam",
            name="cluster",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="clusters.cluster",
            ),
        ),
        migrations.AddField(
            model_name="environmentteam",
            name="namespace",
            field=models.CharField(default="", editable=False, max_length=63),
            preserve_default=False,
        ),
        migrations.RunPython(store_namespaces, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="environmentteam",
            name="cluster",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="clusters.cluster",
            ),
        ),
        migrations.AddConstraint(
            model_name="environmentteam",
            constraint=models.UniqueConstraint(
                fields=("cluster", "namespace"),
                name="clusters_environment_teams_unique_namespace",
            ),
        ),
    ]
