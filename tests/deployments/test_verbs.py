"""The deployment verbs: each is one audited spec change, refused with a reason when wrong."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.deployments import services
from apps.deployments.choices import State
from apps.registry import services as registry
from tests import factories


@pytest.fixture
def deployment(deployer, team, environment, model_version):
    return services.create_deployment(
        actor=deployer,
        team=team,
        environment=environment,
        name="chat",
        model_version=model_version,
        replicas=2,
    )


@pytest.fixture
def canary(model_version):
    return factories.ModelVersionFactory(model=model_version.model, version="v2")


def test_scale_to_a_fixed_count_clears_autoscaling(deployment, deployer):
    services.scale(
        deployment, actor=deployer, min_replicas=1, max_replicas=4, autoscaling_target=70
    )
    scaled = services.scale(deployment, actor=deployer, replicas=3)
    assert (scaled.replicas, scaled.min_replicas, scaled.max_replicas) == (3, None, None)
    assert scaled.revisions.first().reason == "scaled to 3 replicas"


def test_scale_needs_a_count_or_bounds_but_not_both(deployment, deployer):
    with pytest.raises(ValidationError, match="not both, not neither"):
        services.scale(deployment, actor=deployer, replicas=2, max_replicas=4)


def test_scale_with_min_above_max_is_refused(deployment, deployer):
    with pytest.raises(ValidationError) as caught:
        services.scale(
            deployment, actor=deployer, min_replicas=5, max_replicas=2, autoscaling_target=70
        )
    assert (
        "min_replicas (5) is more than max_replicas (2)"
        in caught.value.message_dict["min_replicas"][0]
    )


def test_stop_then_start_keeps_the_spec(deployment, deployer):
    stopped = services.stop(deployment, actor=deployer)
    assert (stopped.state, stopped.replicas) == (State.STOPPED, 2)
    started = services.start(stopped, actor=deployer)
    assert (started.state, started.replicas, started.generation) == (State.RUNNING, 2, 3)


def test_rollback_restores_the_revisions_spec_as_a_new_revision(deployment, deployer, canary):
    services.update_deployment(deployment, actor=deployer, model_version=canary, replicas=5)
    rolled = services.rollback(deployment, 1, actor=deployer)
    assert (rolled.model_version, rolled.replicas, rolled.generation) == (
        deployment.model_version,
        2,
        3,
    )
    assert rolled.revisions.first().reason == "rolled back to revision 1"


def test_rollback_by_gantry_itself_needs_no_user(deployment, deployer):
    services.scale(deployment, actor=deployer, replicas=4)
    assert services.rollback(deployment, 1, actor=None).replicas == 2


def test_rollback_to_an_unknown_revision_says_which_exist(deployment, deployer):
    with pytest.raises(ValidationError) as caught:
        services.rollback(deployment, 7, actor=deployer)
    assert caught.value.message_dict["revision"] == [
        "Deployment chat has no revision 7; its revisions are numbered 1 to 1."
    ]


def test_rollback_to_a_revision_whose_version_was_deleted_says_so(
    deployment, deployer, canary, model_version
):
    services.update_deployment(deployment, actor=deployer, model_version=canary)
    registry.delete_model_version(model_version, actor=deployer)  # no longer in use
    with pytest.raises(ValidationError) as caught:
        services.rollback(deployment, 1, actor=deployer)
    assert "has since been deleted" in caught.value.message_dict["revision"][0]


def test_canary_then_promote_makes_it_the_stable_version(deployment, deployer, canary):
    services.set_canary(deployment, actor=deployer, version=canary, weight=10)
    promoted = services.promote(deployment, actor=deployer)
    assert (promoted.model_version, promoted.canary_version, promoted.canary_weight) == (
        canary,
        None,
        0,
    )


def test_abort_ends_the_canary(deployment, deployer, canary, model_version):
    services.set_canary(deployment, actor=deployer, version=canary, weight=10)
    aborted = services.abort(deployment, actor=deployer)
    assert (aborted.model_version, aborted.canary_version) == (model_version, None)


@pytest.mark.parametrize("weight", [-1, 101, "10"])
def test_a_canary_weight_outside_0_to_100_is_refused(deployment, deployer, canary, weight):
    with pytest.raises(ValidationError) as caught:
        services.set_canary(deployment, actor=deployer, version=canary, weight=weight)
    assert "percent from 0 to 100" in caught.value.message_dict["weight"][0]


def test_promote_without_a_canary_is_refused(deployment, deployer):
    with pytest.raises(ValidationError, match="no canary to promote"):
        services.promote(deployment, actor=deployer)


def test_request_delete_marks_deleting_and_asking_twice_is_harmless(deployment, deployer):
    services.request_delete(deployment, actor=deployer)
    deployment.refresh_from_db()
    again = services.request_delete(deployment, actor=deployer)
    assert (again.state, again.generation) == (State.DELETING, 2)


def test_a_viewer_may_not_change_a_deployment(deployment, teammate):
    with pytest.raises(PermissionDenied, match="viewer of team 'nlp'"):
        services.scale(deployment, actor=teammate, replicas=3)
    deployment.refresh_from_db()
    assert deployment.replicas == 2


def test_a_member_of_another_team_may_not_change_a_deployment(deployment, outsider):
    with pytest.raises(PermissionDenied):
        services.stop(deployment, actor=outsider)
