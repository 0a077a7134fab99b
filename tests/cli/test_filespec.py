"""Parsing Gantry files: documents, schema checks, and the messages they give."""

import pytest
from jsonschema import Draft202012Validator

from gantry_cli.errors import GantryError
from gantry_cli.filespec import parse, schema

FILE = """
kind: Model
name: llama
team: nlp
framework: transformers
versions:
  - version: v1
    artifact_uri: s3://models/llama/v1
    default_cpu: 2
---
kind: Deployment
name: chat
team: nlp
environment: development
version: llama:v1
replicas: 2
cpu: 2
memory: 8Gi
"""


def test_a_file_holds_models_with_versions_and_deployments():
    parsed = parse(FILE)

    (model,) = parsed.models
    assert (model.team, model.name, model.fields) == ("nlp", "llama", {"framework": "transformers"})
    assert [(v.version, v.fields) for v in model.versions] == [
        ("v1", {"artifact_uri": "s3://models/llama/v1", "default_cpu": "2"})
    ]
    (deployment,) = parsed.deployments
    assert (deployment.environment, deployment.version) == ("development", "llama:v1")
    # Quantities as the API shows them, so `cpu: 2` compares equal to the server's "2".
    assert deployment.fields == {"replicas": 2, "cpu": "2", "memory": "8Gi"}


def test_a_wrong_field_is_named_with_its_document():
    text = (
        "kind: Deployment\nname: chat\nteam: nlp\nenvironment: dev\nversion: llama:v1\n"
        "replicas: -1\n"
    )

    with pytest.raises(GantryError) as caught:
        parse(text, "app.yaml")

    assert "app.yaml, document 1 (deployment/chat) is not valid:" in caught.value.message
    assert "replicas: -1 is less than the minimum of 0" in caught.value.message


def test_an_unknown_field_is_refused():
    text = "kind: Model\nname: llama\nteam: nlp\ncolour: red\n"

    with pytest.raises(GantryError, match="'colour' was unexpected"):
        parse(text)


def test_a_missing_kind_says_which_kinds_there_are():
    with pytest.raises(GantryError, match="kind must be Model or Deployment, not None"):
        parse("name: llama\n")


def test_a_version_reference_needs_model_and_version():
    text = "kind: Deployment\nname: chat\nteam: nlp\nenvironment: dev\nversion: llama\n"

    with pytest.raises(GantryError, match="version: 'llama' does not match"):
        parse(text)


def test_broken_yaml_is_reported_as_such():
    with pytest.raises(GantryError, match="is not valid YAML"):
        parse("kind: [Model\n")


def test_an_empty_file_says_where_an_example_is():
    with pytest.raises(GantryError, match="holds no documents"):
        parse("---\n")


def test_a_deployment_declared_twice_is_refused():
    one = "kind: Deployment\nname: chat\nteam: nlp\nenvironment: dev\nversion: a:b\n"

    with pytest.raises(GantryError, match="declares deployment nlp/dev/chat twice"):
        parse(one + "---\n" + one)


def test_the_published_schema_is_itself_valid():
    Draft202012Validator.check_schema(schema())
