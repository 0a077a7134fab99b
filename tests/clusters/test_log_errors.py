"""kube: the API server's refusals of a log request, told apart by what they say."""

import pytest

from apps.clusters import kube


def refused(message: str, status: int = 400) -> kube.KubeError:
    return kube.KubeError(cluster="local", message=message, status=status, reason="BadRequest")


@pytest.mark.parametrize(
    ("message", "error_class"),
    [
        (
            'previous terminated container "server" in pod "chat-1" not found',
            kube.NoPreviousContainer,
        ),
        (
            'container "server" in pod "chat-1" is waiting to start: '
            "trying and failing to pull image",
            kube.ContainerNotStarted,
        ),
        (
            'container "server" in pod "chat-1" is waiting to start: ContainerCreating',
            kube.ContainerNotStarted,
        ),
    ],
)
def test_a_log_refusal_is_the_error_that_names_its_reason(message, error_class):
    error = kube._log_refusal(refused(message))

    assert type(error) is error_class
    assert (error.message, error.status, error.cluster) == (message, 400, "local")


def test_other_refusals_stay_as_they_were():
    forbidden = refused('pods "chat-1" is forbidden', status=403)

    assert kube._log_refusal(forbidden) is forbidden
