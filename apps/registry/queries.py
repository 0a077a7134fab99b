"""What the registry's pages read: a fixed number of queries, however many rows.

Each function takes an already scoped queryset or record (scoping is
`visible_to()`'s job) and adds what a page shows in one pass: annotations for
the list, prefetches for a model's versions and the deployments running them.
"""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.registry.models import Model, ModelVersion


def with_summary(models: QuerySet[Model]) -> QuerySet[Model]:
    """Models with `latest_version` (its label) and `deployment_count` annotated.

    A canary is always another version of the same model, so the deployments
    whose stable version belongs to a model are all those that run it. Both are
    subqueries rather than a join and GROUP BY, so PostgreSQL computes them for
    the rows of the page only, through the foreign keys' indexes.
    """
    versions = ModelVersion.objects.filter(model=OuterRef("pk"))
    latest = versions.order_by("-created_at", "-id").values("version")[:1]
    running = versions.values("model").annotate(n=Count("deployments")).values("n")
    return (
        models.select_related("team")
        .annotate(
            latest_version=Subquery(latest),
            deployment_count=Coalesce(Subquery(running), 0),
        )
        .order_by("team__name", "name", "id")
    )


def versions_with_lineage(model: Model) -> QuerySet[ModelVersion]:
    """The model's versions, newest first, each with the deployments that run it.

    `version.deployments.all()` and `version.canary_deployments.all()` are then
    read from two prefetch queries for all versions together.
    """
    # The related model comes from the relation itself: registry may not import deployments.
    deployments = ModelVersion._meta.get_field("deployments").related_model
    # Only what the page shows: a deployment's status JSON is large and not read here.
    running = (
        deployments.objects.select_related("environment")
        .only(
            "name",
            "state",
            "canary_weight",
            "available_replicas",
            "model_version",
            "canary_version",
            "environment__name",
        )
        .order_by("name", "id")
    )
    return (
        model.versions.select_related("created_by")
        .prefetch_related(
            Prefetch("deployments", queryset=running),
            Prefetch("canary_deployments", queryset=running),
        )
        .order_by("-created_at", "-id")
    )
