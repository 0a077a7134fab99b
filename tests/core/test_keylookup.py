"""KeyLookup: the reconciler's compiled-once load returns what the ORM returns."""

from django.db.models import Model

from apps.core.lib.keylookup import KeyLookup
from apps.deployments.models import Deployment
from apps.deployments.reconciler.specs import RELATED
from tests import factories


def _values(record: Model) -> dict:
    return {field.attname: getattr(record, field.attname) for field in record._meta.concrete_fields}


def _orm(pk: int) -> Deployment:
    return Deployment.objects.select_related(*RELATED).get(pk=pk)


def test_it_returns_the_row_and_its_related_rows_as_the_orm_does(deployment):
    record = KeyLookup(Deployment.objects.select_related(*RELATED)).get(deployment.pk)
    expected = _orm(deployment.pk)
    assert _values(record) == _values(expected)
    for path in ("team", "environment", "model_version", "environment.cluster"):
        got, want = record, expected
        for name in path.split("."):
            got, want = getattr(got, name), getattr(want, name)
        assert _values(got) == _values(want), f"{path} differs from the ORM's"
    assert record.canary_version is None


def test_the_related_rows_cost_no_further_query(deployment, django_assert_num_queries):
    lookup = KeyLookup(Deployment.objects.select_related(*RELATED))
    with django_assert_num_queries(1):
        record = lookup.get(deployment.pk)
        names = (record.team.name, record.environment.cluster.name, record.model_version.model.name)
    assert all(names)


def test_a_canary_version_is_loaded_with_the_record(deployment, model_version):
    canary = factories.ModelVersionFactory(model=model_version.model)
    Deployment.objects.filter(pk=deployment.pk).update(canary_version=canary, canary_weight=10)
    lookup = KeyLookup(Deployment.objects.select_related(*RELATED))
    lookup.get(deployment.pk)  # compiled on the first call, reused on the second
    record = lookup.get(deployment.pk)
    assert record.canary_version.pk == canary.pk
    assert record.canary_weight == 10
    assert record.conditions == _orm(deployment.pk).conditions, "JSON fields must be decoded"


def test_a_row_that_is_gone_gives_none(deployment):
    lookup = KeyLookup(Deployment.objects.select_related(*RELATED))
    Deployment.objects.filter(pk=deployment.pk).delete()
    assert lookup.get(deployment.pk) is None
