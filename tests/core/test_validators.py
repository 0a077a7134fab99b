"""The input grammars, checked against Kubernetes' own definitions."""

import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from kubernetes.utils.quantity import parse_quantity

from apps.core import validators

# Kubernetes' DNS-1123 label, as apimachinery's validation package writes it.
K8S_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _accepts(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@given(st.text(alphabet="abcxyz019-._A", max_size=70))
def test_names_match_the_dns1123_label_grammar(value):
    expected = bool(K8S_DNS1123_LABEL.match(value)) and len(value) <= 63
    assert _accepts(validators.validate_dns_label, value) == expected, value


@given(st.from_regex(r"\A[0-9]{1,6}(\.[0-9]{1,3})?(Ki|Mi|Gi|Ti|m|k|M|G)?\Z", fullmatch=True))
def test_quantities_in_canonical_form_parse_as_the_client_parses_them(value):
    assert validators.parse_quantity_value(value) == parse_quantity(value)


@given(st.text(alphabet="0123456789.-+ eEKkMGiBb", max_size=8))
def test_a_quantity_we_accept_is_one_the_client_accepts(value):
    if _accepts(validators.validate_quantity, value):
        parse_quantity(value)  # raises if the client disagrees


@pytest.mark.parametrize(
    ("validator", "value", "message"),
    [
        (validators.validate_dns_label, "Llama", "not a valid Kubernetes name"),
        (validators.validate_dns_label, "llama_3", "e.g. 'llama-3-8b'"),
        (validators.validate_dns_label, "-llama", "starting and ending with a letter"),
        (validators.validate_dns_label, "a" * 64, "at most 63"),
        (validators.validate_dns_label, "", "A name is required"),
        (validators.validate_quantity, "16GB", "e.g. '500m' or '2' for CPU"),
        (validators.validate_quantity, "-1", "not a Kubernetes quantity"),
        (validators.validate_quantity, "1 Gi", "not a Kubernetes quantity"),
        (validators.validate_positive_quantity, "1e-400", "smallest amount Kubernetes keeps"),
        (validators.validate_positive_quantity, "0.5", "write '500m' instead"),
        (validators.validate_positive_quantity, "1.5Gi", "write '1536Mi' instead"),
        (validators.validate_quantity, "1000", "write '1k' instead"),
        (validators.validate_quantity, "1e99", "too large for a Kubernetes quantity"),
        (validators.validate_positive_quantity, "0", "must be more than zero"),
        (validators.validate_image_reference, "Vllm/Vllm:latest", "e.g. 'vllm/vllm-openai"),
        (validators.validate_image_reference, "vllm/vllm-openai:", "not a container image"),
        (validators.validate_image_reference, "repo@sha256:abc", "not a container image"),
        (validators.validate_image_reference, "a" * 256, "the limit is 255"),
        (validators.validate_artifact_uri, "ftp://models/x", "uses the scheme 'ftp'"),
        (validators.validate_artifact_uri, "/local/path", "uses the scheme '(none)'"),
        (validators.validate_artifact_uri, "s3:///key-only", "names no bucket"),
        (validators.validate_artifact_uri, "hf://meta-llama", "needs a path"),
        (validators.validate_artifact_uri, "s3://a b/c", "no spaces"),
        (validators.validate_artifact_uri, "pvc://store/../other/x", "climbs out of its claim"),
        (validators.validate_artifact_uri, "s3://models/a/../../b", "climbs out"),
        (validators.validate_artifact_uri, "s3://My_Bucket/x", "not a valid bucket name"),
        (validators.validate_artifact_uri, "pvc://Model_Store/x", "not a PersistentVolumeClaim"),
        (validators.validate_artifact_uri, "oci://Registry/Models:x", "model image"),
        (validators.validate_artifact_uri, "azureblob://account", "needs a path"),
        (validators.validate_object_name, "S3 Creds", "e.g. 's3-credentials'"),
        (validators.validate_namespace_list, "ingress-nginx; monitoring", "separate names"),
        (validators.validate_cidr_list, "10.0.0.0/33", "e.g. '10.0.0.0/8"),
        (validators.validate_cidr_list, "10.0.0.0/8; 10.1.0.0/16", "not a CIDR block"),
        (validators.validate_cidr_list, "storage.example.com", "not a CIDR block"),
        (validators.validate_cidr_list, "10.0.0.7", "write '10.0.0.7/32' for this one"),
        (validators.validate_cidr_list, "10.1.2.3/8", "write the block '10.0.0.0/8'"),
        (validators.validate_cidr_list, "10.0.0.0/", "has no prefix length"),
        (validators.validate_cidr_list, "10.0.0.0/8/8", "e.g. '10.0.0.0/8' or"),
        (validators.validate_gpu_model, "RTX-4090", "NVIDIA-H100-80GB-HBM3"),
        (validators.validate_mig_profile, "9g.99gb", "e.g. '1g.10gb'"),
        (validators.validate_http_path, "health", "start with '/'"),
    ],
)
def test_bad_input_is_refused_with_a_message_showing_a_valid_example(validator, value, message):
    with pytest.raises(ValidationError) as caught:
        validator(value)
    assert message in caught.value.messages[0]


@pytest.mark.parametrize(
    "value",
    [
        "vllm/vllm-openai:v0.6.3",
        "nvcr.io/nvidia/tritonserver:24.08-py3",
        "localhost:5000/ranker",
        "registry.example.com:443/team/model-server:1.0@sha256:" + "a" * 64,
        "ubuntu",
        "ghcr.io/acme/a__b.c-d:TAG_1",
        "[::1]:5000/img:1",
    ],
)
def test_valid_image_references_are_accepted(value):
    validators.validate_image_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        "s3://models/llama-3-8b/",
        "gs://bucket/resnet/1",
        "azureblob://account/container/bert",
        "pvc://model-store/llama",
        "hf://meta-llama/Meta-Llama-3-8B-Instruct",
        "oci://registry.example.com/models/llama:3",
        "https://models.example.com/resnet50.onnx",
    ],
)
def test_each_supported_artifact_scheme_is_accepted(value):
    validators.validate_artifact_uri(value)


@pytest.mark.parametrize(
    "value", ["10.0.0.0/8", "10.0.0.0/8, 192.168.1.10/32", "2001:DB8::/32", "0.0.0.0/0", ""]
)
def test_cidr_blocks_are_accepted(value):
    validators.validate_cidr_list(value)


def test_gpu_models_come_from_settings(settings):
    settings.GANTRY_GPU_MODELS = ["ACME-X1"]
    validators.validate_gpu_model("ACME-X1")
    with pytest.raises(ValidationError):
        validators.validate_gpu_model("NVIDIA-H100-80GB-HBM3")
