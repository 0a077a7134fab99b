"""Start-up checks of the dashboards' PromQL templates.

A template with a syntax error is reported when Gantry starts (and by
`manage.py check`, which `migrate` runs), not as a broken panel at view time.
The global templates are checked on every start; each cluster's overrides are
checked against the database when a command asks for database checks (migrate,
`check --database default`), and again by the admin form when they are edited.
"""

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from apps.core.lib import promql
from apps.monitoring import prometheus

HINT = (
    "Fix the template in GANTRY_PROMQL_FILE (or controlplane/promql.py); "
    "`${name}` is another template or one of the variables listed in the README."
)


def template_errors(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Problems of the templates in force (with `overrides`), by template name."""
    return promql.check(prometheus.templates(overrides), runtimes=prometheus.runtimes())


@register("monitoring")
def check_promql_templates(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(message, hint=HINT, obj=f"GANTRY_PROMQL[{name!r}]", id="monitoring.E001")
        for name, message in sorted(template_errors().items())
    ]


@register("monitoring", Tags.database)
def check_cluster_promql(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    if not databases:
        return []
    from apps.clusters.models import Cluster

    try:
        clusters = list(Cluster.objects.using(databases[0]).values_list("name", "promql"))
    except DatabaseError:  # before the migration that adds the column
        return []
    errors: list[CheckMessage] = []
    for name, overrides in clusters:
        if not overrides:
            continue
        if not isinstance(overrides, dict):
            problems = {"*": "PromQL overrides must be a JSON object of template name to PromQL."}
        else:
            problems = template_errors(overrides)
        errors.extend(
            Error(
                f"Cluster '{name}': {message}",
                hint="Correct the cluster's PromQL overrides in the admin.",
                obj=f"Cluster {name!r} promql[{template!r}]",
                id="monitoring.E002",
            )
            for template, message in sorted(problems.items())
        )
    return errors
