"""factory-boy factories for Gantry's records; valid by default."""

import factory
from django.contrib.auth import get_user_model

from apps.accounts.models import Membership, Team
from apps.clusters.choices import Connection
from apps.clusters.models import Cluster, Environment
from apps.registry.choices import Runtime
from apps.registry.models import Model, ModelVersion

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"team{n}")


def member(team: Team, role: str, **user_fields):
    user = UserFactory(**user_fields)
    Membership.objects.create(user=user, team=team, role=role)
    return user


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster
        django_get_or_create = ("name",)

    name = "local"
    connection = Connection.KUBECONFIG
    kubeconfig_path = "/var/run/secrets/gantry/kubeconfigs/local.yaml"


class EnvironmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Environment

    name = factory.Sequence(lambda n: f"env{n}")
    namespace = factory.Sequence(lambda n: f"ns{n}")
    cluster = factory.SubFactory(ClusterFactory)


class ModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Model

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"model-{n}")


class ModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVersion

    model = factory.SubFactory(ModelFactory)
    version = factory.Sequence(lambda n: f"v{n}")
    artifact_uri = "s3://models/llama-3-8b/"
    runtime = Runtime.VLLM
