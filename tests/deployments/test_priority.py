"""PriorityClasses per tier: production above staging above development, only
production preempts; pods name their tier's class; the local cluster's classes and the
chart's are the same three."""

from dataclasses import replace
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from apps.clusters.choices import Tier
from apps.deployments import manifests as m
from apps.deployments import priority
from apps.deployments.reconciler import specs
from tests import factories
from tests.deployments.test_manifests import BASE, KUBERNETES_VERSION

CLUSTER_CLASSES = Path(__file__).resolve().parents[2] / "scripts/cluster/priorityclasses.yaml"


def values():
    return {tier: priority.TIERS[tier].value for tier in Tier.values}


def test_production_outranks_staging_which_outranks_development():
    v = values()
    assert v["production"] > v["staging"] > v["development"] > 0
    # User classes must stay below the system ones (2,000,000,000 and up).
    assert v["production"] <= 1_000_000_000


def test_only_production_preempts():
    policies = {tier: priority.priority_class(tier)["preemptionPolicy"] for tier in Tier.values}
    assert policies == {
        "production": "PreemptLowerPriority",
        "staging": "Never",
        "development": "Never",
    }


def test_no_class_is_the_clusters_default():
    # Pods that name no class (everything not Gantry's) keep the cluster's default, 0.
    assert not any(obj.get("globalDefault") for obj in priority.priority_classes())


@pytest.mark.parametrize("obj", priority.priority_classes(), ids=lambda o: o["metadata"]["name"])
def test_each_class_is_valid_for_the_cluster_version(obj):
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"PriorityClass is invalid at {list(exc.path)}: {exc.message}")


def test_the_local_cluster_gets_the_same_classes():
    listed = yaml.safe_load(CLUSTER_CLASSES.read_text())["items"]
    assert listed == priority.priority_classes()


def test_a_pod_names_its_tiers_class():
    spec = replace(BASE, priority_class="gantry-production")
    assert m.pod_template(spec, m.STABLE)["spec"]["priorityClassName"] == "gantry-production"


def test_without_a_class_the_pod_names_none():
    assert "priorityClassName" not in m.pod_template(BASE, m.STABLE)["spec"]


@pytest.mark.parametrize("tier", Tier.values)
def test_a_deployment_gets_the_class_of_its_environments_tier(tier):
    environment = factories.EnvironmentFactory.build(tier=tier)
    assert specs.priority_class(environment) == f"gantry-{tier}"


def test_the_setting_turns_the_classes_off(settings):
    settings.GANTRY_PRIORITY_CLASSES = False
    environment = factories.EnvironmentFactory.build(tier=Tier.PRODUCTION)
    assert specs.priority_class(environment) == ""
