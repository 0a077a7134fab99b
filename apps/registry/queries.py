"""What the registry's pages read: a fixed number of queries, however many rows.

Each function takes an already scoped queryset or record (scoping is
`visible_to()`'s job) and adds what a page shows in one pass: annotations for
the list, prefetches for a model's versions and the deployments running them.
"""

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery

from apps.registry.models import Model, ModelVersion


def with_summary(models: QuerySet[Model]) -> QuerySet[Model]:
    """Models with `latest_version` (its label) and `deployment_count` annotated.

    A canary is always another version of the same model, so the deployments
    whose stable version belongs to a model are all those that run it.
    """
    latest = ModelVersion.objects.filter(model=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        models.select_related("team")
        .annotate(
            latest_version=Subquery(latest.values("version")[:1]),
            deployment_count=Count("versions__deployments", distinct=True),
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
    running = deployments.objects.select_related("environment").order_by("name", "id")
    return (
        model.versions.select_related("created_by")
        .prefetch_related(
            Prefetch("deployments", queryset=running),
            Prefetch("canary_deployments", queryset=running),
        )
        .order_by("-created_at", "-id")
    )
