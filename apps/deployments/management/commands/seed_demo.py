"""Loads the demo data `make run` shows a new user; running it again changes nothing."""

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.choices import Role
from apps.accounts.models import Membership, Team
from apps.clusters import kube
from apps.clusters.choices import Connection, Tier
from apps.clusters.inventory import cluster_ref
from apps.clusters.models import Cluster, Environment
from apps.core.lib.paths import is_within
from apps.deployments import priority
from apps.deployments import services as deployment_services
from apps.deployments.models import Deployment
from apps.quotas.models import Quota, QuotaLimit
from apps.registry import services as registry_services
from apps.registry.models import Model, ModelVersion

DEMO_USERS = [
    # username, team, role
    ("alice", "nlp", Role.ADMIN),
    ("bob", "vision", Role.DEPLOYER),
    ("carol", "nlp", Role.VIEWER),
]


class Command(BaseCommand):
    help = "Create the demo superuser, two teams, a local cluster, models and deployments."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--kubeconfig",
            default=str(settings.STATE_DIR / "cluster" / "kubeconfig"),
            help="Kubeconfig of the demo cluster (default: the embedded local cluster).",
        )
        parser.add_argument(
            "--password-file",
            default=str(settings.STATE_DIR / "demo-password"),
            help="Where the demo password is kept, so every run prints the same one.",
        )

    def handle(self, *args: Any, kubeconfig: str, password_file: str, **options: Any) -> None:
        if not is_within(kubeconfig, settings.GANTRY_KUBECONFIG_DIRS):
            raise CommandError(
                f"--kubeconfig {kubeconfig} is outside GANTRY_KUBECONFIG_DIRS "
                f"({', '.join(settings.GANTRY_KUBECONFIG_DIRS)}); give an absolute path inside "
                "one of them, or add its directory to that setting."
            )
        password = _demo_password(Path(password_file))
        with transaction.atomic():
            admin = _user("admin", password, superuser=True)
            teams = {
                name: _team(name, display)
                for name, display in [("nlp", "Language models"), ("vision", "Computer vision")]
            }
            for username, team_name, role in DEMO_USERS:
                user = _user(username, password)
                Membership.objects.get_or_create(
                    user=user, team=teams[team_name], defaults={"role": role}
                )
            cluster = _cluster(kubeconfig)
            environments = [
                _environment(cluster, "development", "dev", Tier.DEVELOPMENT, teams.values()),
                _environment(cluster, "production", "prod", Tier.PRODUCTION, teams.values()),
            ]
            _quotas(teams)
        if not Deployment.objects.exists():
            _models_and_deployments(admin, teams, environments[0])
        _priority_classes(cluster, self.stderr)
        self.stdout.write(f"Demo users: admin (superuser), alice, bob, carol; password {password}")


def _priority_classes(cluster: Cluster, stderr: Any) -> None:
    """The tiers' PriorityClasses the demo's pods name (the local cluster's up.sh makes
    them too; another cluster, GANTRY_KUBECONFIG, may not have them)."""
    if not settings.GANTRY_PRIORITY_CLASSES:
        return
    try:
        api = kube.connect(cluster_ref(cluster))
        for obj in priority.priority_classes():
            api.apply(obj)
    except kube.KubeError as exc:
        # The demo still starts; its pods then say why they cannot be created.
        stderr.write(f"Could not create the PriorityClasses in the demo cluster: {exc}")


def _demo_password(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def _user(username: str, password: str, superuser: bool = False):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "email": f"{username}@example.com",
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def _team(name: str, display_name: str) -> Team:
    team, _ = Team.objects.get_or_create(name=name, defaults={"display_name": display_name})
    return team


def _cluster(kubeconfig: str) -> Cluster:
    cluster, _ = Cluster.objects.update_or_create(
        name="local",
        defaults={
            "description": "The embedded control plane `make cluster` starts, with KWOK GPU nodes.",
            "connection": Connection.KUBECONFIG,
            "kubeconfig_path": kubeconfig,
        },
    )
    return cluster


def _environment(cluster: Cluster, name: str, namespace: str, tier: str, teams) -> Environment:
    environment, _ = Environment.objects.get_or_create(
        cluster=cluster, name=name, defaults={"namespace": namespace, "tier": tier}
    )
    environment.teams.add(*teams)
    return environment


def _quotas(teams: dict[str, Team]) -> None:
    nlp, _ = Quota.objects.get_or_create(
        team=teams["nlp"],
        defaults={"gpus_total": 8, "replicas": 20, "cpu": "64", "memory": "512Gi"},
    )
    for model, limit in [("NVIDIA-H100-80GB-HBM3", 4), ("NVIDIA-A100-SXM4-80GB", 4)]:
        QuotaLimit.objects.get_or_create(
            quota=nlp, kind=QuotaLimit.Kind.GPU_MODEL, resource=model, defaults={"limit": limit}
        )
    vision, _ = Quota.objects.get_or_create(
        team=teams["vision"],
        defaults={"gpus_total": 4, "replicas": 12, "cpu": "32", "memory": "128Gi"},
    )
    QuotaLimit.objects.get_or_create(
        quota=vision, kind=QuotaLimit.Kind.MIG_PROFILE, resource="1g.10gb", defaults={"limit": 7}
    )


def _models_and_deployments(admin, teams: dict[str, Team], environment: Environment) -> None:
    versions = _models_and_versions(admin, teams)
    deployment_services.create_deployment(
        actor=admin,
        team=teams["nlp"],
        environment=environment,
        name="llama-chat",
        model_version=versions["llama-3-8b"],
        cpu="4",
        memory="32Gi",
        gpu_count=1,
        gpu_model="NVIDIA-H100-80GB-HBM3",
    )
    deployment_services.create_deployment(
        actor=admin,
        team=teams["nlp"],
        environment=environment,
        name="embeddings",
        model_version=versions["bge-small"],
        cpu="2",
        memory="4Gi",
        min_replicas=2,
        max_replicas=4,
        autoscaling_target=70,
    )
    deployment_services.create_deployment(
        actor=admin,
        team=teams["vision"],
        environment=environment,
        name="resnet",
        model_version=versions["resnet50"],
        cpu="2",
        memory="8Gi",
        gpu_count=1,
        mig_profile="1g.10gb",
    )


# (team, model, framework, task, runtime, [(version, artifact URI)], default resources)
DEMO_MODELS = [
    (
        "nlp",
        "llama-3-8b",
        "transformers",
        "text-generation",
        "vllm",
        [
            ("v1", "hf://meta-llama/Meta-Llama-3-8B-Instruct"),
            ("v2", "s3://models/llama-3-8b/finetune-2024-06/"),
        ],
        {"default_cpu": "4", "default_memory": "32Gi", "default_gpu_count": 1},
    ),
    (
        "nlp",
        "bge-small",
        "onnx",
        "embedding",
        "triton",
        [("v1", "gs://models/bge-small/1/")],
        {"default_cpu": "2", "default_memory": "4Gi"},
    ),
    (
        "vision",
        "resnet50",
        "pytorch",
        "classification",
        "torchserve",
        [("v1", "pvc://model-store/resnet50/")],
        {"default_cpu": "2", "default_memory": "8Gi"},
    ),
]


def _models_and_versions(admin, teams: dict[str, Team]) -> dict[str, ModelVersion]:
    """The demo models and their versions; returns each model's first version by name."""
    first: dict[str, ModelVersion] = {}
    for team, name, framework, task, runtime, versions, resources in DEMO_MODELS:
        model = _model(admin, teams[team], name, framework, task)
        for version, artifact_uri in versions:
            created = registry_services.create_model_version(
                actor=admin,
                model=model,
                version=version,
                runtime=runtime,
                artifact_uri=artifact_uri,
                **resources,
            )
            first.setdefault(name, created)
    return first


def _model(admin, team: Team, name: str, framework: str, task: str) -> Model:
    return registry_services.create_model(
        actor=admin, team=team, name=name, framework=framework, task=task
    )
