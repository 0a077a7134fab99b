"""Every input grammar Gantry accepts, checked in one place.

Each validator raises `ValidationError` with a message that says what is
wrong and shows a valid example, so the admin, the UI and the API all give the
same helpful answer. Models attach these to their fields; services and
serializers rely on the models' `full_clean()`.
"""

import ipaddress
import re
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

# The quantity grammar is the client's own parser: importing a pure function
# here is not talking to Kubernetes, so it does not go through kube.py.
from kubernetes.utils.quantity import parse_quantity

from apps.core.lib import quantity
from apps.core.lib.urls import http_url_problem, redact_userinfo

DNS_LABEL_MAX = 63
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

# Kubernetes' canonical quantity form: a plain decimal, then a binary or decimal
# SI suffix, or an exponent. The client parser is more lenient (it accepts "1.5e"
# style slips and spaces in some versions), so the shape is checked first.
QUANTITY_RE = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$"
)

# The distribution reference grammar (github.com/distribution/reference, regexp.go).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
IMAGE_REFERENCE_RE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
IMAGE_NAME_MAX = 255

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ARTIFACT_SCHEMES = ("s3", "gs", "azureblob", "pvc", "hf", "oci", "https")
_ARTIFACT_EXAMPLES = {
    "s3": "s3://models/llama-3-8b/",
    "gs": "gs://models/resnet50/1/",
    "azureblob": "azureblob://account/container/bert/",
    "pvc": "pvc://model-store/llama-3-8b/",
    "hf": "hf://meta-llama/Meta-Llama-3-8B-Instruct",
    "oci": "oci://registry.example.com/models/llama:3",
    "https": "https://models.example.com/resnet50.onnx",
}


def validate_dns_label(value: str) -> None:
    """A Kubernetes object name: a DNS-1123 label of at most 63 characters."""
    if not value:
        raise ValidationError("A name is required, e.g. 'llama-3-8b'.", code="required")
    if len(value) > DNS_LABEL_MAX:
        raise ValidationError(
            f"'{value[:20]}…' is {len(value)} characters; Kubernetes names are at most "
            f"{DNS_LABEL_MAX}, e.g. 'llama-3-8b'.",
            code="too_long",
        )
    if not DNS_LABEL_RE.match(value):
        raise ValidationError(
            f"'{value}' is not a valid Kubernetes name: use lowercase letters, digits and "
            "'-', starting and ending with a letter or digit, e.g. 'llama-3-8b'.",
            code="invalid_name",
        )


def parse_quantity_value(value: str) -> Decimal:
    """The numeric value of a Kubernetes quantity, or a ValidationError saying why not."""
    if not isinstance(value, str) or not QUANTITY_RE.match(value):
        raise ValidationError(
            f"'{value}' is not a Kubernetes quantity: write a number with an optional "
            "unit, e.g. '500m' or '2' for CPU, '16Gi' or '512Mi' for memory.",
            code="invalid_quantity",
        )
    try:
        return parse_quantity(value)
    except ValueError:
        raise ValidationError(
            f"'{value}' is not a Kubernetes quantity, e.g. '500m' or '16Gi'.",
            code="invalid_quantity",
        ) from None


def validate_quantity(value: str) -> None:
    parse_quantity_value(value)
    _require_canonical(value)


def validate_positive_quantity(value: str) -> None:
    if parse_quantity_value(value) <= 0:
        raise ValidationError(
            f"'{value}' must be more than zero, e.g. '500m' or '16Gi'.", code="not_positive"
        )
    _require_canonical(value)


def _require_canonical(value: str) -> None:
    """Only a quantity Kubernetes keeps as written: any other reads back as a change forever."""
    try:
        kept = quantity.canonical(value)
    except quantity.QuantityError:
        raise ValidationError(
            f"'{value}' is too large for a Kubernetes quantity; e.g. '64' or '500m' for CPU, "
            "'512Gi' for memory.",
            code="invalid_quantity",
        ) from None
    if kept == value:
        return
    if quantity.exact_value(value) < quantity.NANO:
        raise ValidationError(
            f"'{value}' is less than the smallest amount Kubernetes keeps (one nano-unit, "
            f"'1n'); it would round it up to '{kept}'. Write e.g. '500m' for CPU or '512Mi' "
            "for memory.",
            code="rounded_quantity",
        )
    raise ValidationError(
        f"Kubernetes would keep '{value}' as '{kept}', and the difference would show as "
        f"drift; write '{kept}' instead (e.g. '500m' or '2' for CPU, '16Gi' for memory).",
        code="rounded_quantity",
    )


def validate_object_name(value: str) -> None:
    """The name of a Kubernetes Secret or ServiceAccount (a DNS-1123 subdomain)."""
    if len(value) > 253 or not DNS_SUBDOMAIN_RE.match(value):
        raise ValidationError(
            f"'{value}' is not a Kubernetes object name: lowercase letters, digits, '-' "
            "and '.', starting and ending with a letter or digit, e.g. 's3-credentials'.",
            code="invalid_name",
        )


def namespace_list(value: str) -> list[str]:
    """'a, b,c' as ['a', 'b', 'c'] (empty items dropped)."""
    return [item.strip() for item in value.split(",") if item.strip()]


def validate_namespace_list(value: str) -> None:
    """Comma-separated namespace names, e.g. 'ingress-nginx, monitoring'."""
    for name in namespace_list(value):
        if len(name) > DNS_LABEL_MAX or not DNS_LABEL_RE.match(name):
            raise ValidationError(
                f"'{name}' is not a namespace name: lowercase letters, digits and '-'; "
                "separate names with commas, e.g. 'ingress-nginx, monitoring'.",
                code="invalid_name",
            )


# --- egress CIDR blocks (an environment's allowed destinations) ---


def validate_cidr_list(value: str) -> None:
    """Comma-separated CIDR blocks, e.g. '10.0.0.0/8, 2001:db8::/32'."""
    for block in namespace_list(value):
        address, _, prefix = block.partition("/")
        try:
            network = ipaddress.ip_network(block, strict=False)
            host = ipaddress.ip_address(address)
        except ValueError:
            network = None
        if network is None or not prefix:
            raise ValidationError(_cidr_problem(block, address, prefix), code="invalid_cidr")
        if network.network_address != host:
            # Kubernetes would take it, but the block it means is not what it says.
            raise ValidationError(
                f"'{block}' has bits set after its prefix length: write the block "
                f"'{network}', or '{address}/{network.max_prefixlen}' for the one address.",
                code="invalid_cidr",
            )


def _cidr_problem(block: str, address: str, prefix: str) -> str:
    try:
        one = f"{address}/{ipaddress.ip_address(address).max_prefixlen}"
    except ValueError:
        one = ""
    if one and not prefix:
        return f"'{block}' has no prefix length: write '{one}' for this one address."
    return (
        f"'{block}' is not a CIDR block: write an address and a prefix length, e.g. "
        "'10.0.0.0/8' or '2001:db8::/32'; host names are not allowed, and blocks are "
        "separated by commas."
    )


def validate_image_reference(value: str) -> None:
    """A container image reference as the distribution grammar defines it."""
    match = IMAGE_REFERENCE_RE.match(value or "")
    if not match:
        raise ValidationError(
            f"'{value}' is not a container image reference: use "
            "[registry/]repository[:tag][@sha256:digest] with a lowercase repository, "
            "e.g. 'vllm/vllm-openai:v0.6.3' or 'nvcr.io/nvidia/tritonserver:24.08-py3'.",
            code="invalid_image",
        )
    if len(match.group("name")) > IMAGE_NAME_MAX:
        raise ValidationError(
            f"The image name is {len(match.group('name'))} characters; the limit is "
            f"{IMAGE_NAME_MAX}.",
            code="invalid_image",
        )


def validate_artifact_uri(value: str) -> None:
    """Where the model's weights live: one of the schemes the runtimes can fetch from."""
    examples = ", ".join(f"'{example}'" for example in list(_ARTIFACT_EXAMPLES.values())[:3])
    if not value or any(ch.isspace() for ch in value):
        raise ValidationError(
            f"'{value}' is not an artifact URI: it must have no spaces, e.g. {examples}.",
            code="invalid_uri",
        )
    parts = urlsplit(value)
    if parts.scheme not in ARTIFACT_SCHEMES:
        raise ValidationError(
            f"'{value}' uses the scheme '{parts.scheme or '(none)'}'; use one of "
            f"{', '.join(ARTIFACT_SCHEMES)}, e.g. {examples}.",
            code="invalid_scheme",
        )
    if not parts.netloc:
        example = _ARTIFACT_EXAMPLES[parts.scheme]
        raise ValidationError(
            f"'{value}' names no bucket, host or volume after '{parts.scheme}://', "
            f"e.g. '{example}'.",
            code="invalid_uri",
        )
    if parts.scheme in ("hf", "pvc", "azureblob") and not parts.path.strip("/"):
        example = _ARTIFACT_EXAMPLES[parts.scheme]
        raise ValidationError(
            f"'{value}' needs a path after '{parts.netloc}', e.g. '{example}'.",
            code="invalid_uri",
        )
    _validate_artifact_location(value, parts.scheme, parts.netloc, parts.path)


def _validate_artifact_location(value: str, scheme: str, netloc: str, path: str) -> None:
    """What each scheme's reader needs of the URI, refused when the record is written
    rather than found by a pod that cannot start."""
    example = _ARTIFACT_EXAMPLES[scheme]
    if ".." in path.split("/") or "\\" in path:
        raise ValidationError(
            f"'{value}' climbs out of its {'claim' if scheme == 'pvc' else 'location'} "
            f"with '..'; name the path inside it, e.g. '{example}'.",
            code="invalid_uri",
        )
    if scheme in ("s3", "gs") and not BUCKET_RE.match(netloc):
        raise ValidationError(
            f"'{netloc}' is not a valid bucket name: 3 to 63 lowercase letters, digits, "
            f"'.' and '-', starting and ending with a letter or digit, e.g. '{example}'.",
            code="invalid_uri",
        )
    if scheme == "pvc" and not DNS_SUBDOMAIN_RE.match(netloc):
        raise ValidationError(
            f"'{netloc}' is not a PersistentVolumeClaim name: lowercase letters, digits, "
            f"'-' and '.', e.g. '{example}'.",
            code="invalid_uri",
        )
    if scheme == "oci":
        reference = value.removeprefix("oci://")
        if not IMAGE_REFERENCE_RE.match(reference) or "/" not in reference:
            raise ValidationError(
                f"'{reference}' is not an image reference for a model image: use "
                f"registry/repository[:tag][@sha256:digest], e.g. '{example}'.",
                code="invalid_uri",
            )


def validate_gpu_model(value: str) -> None:
    allowed = settings.GANTRY_GPU_MODELS
    if value not in allowed:
        raise ValidationError(
            f"'{value}' is not a GPU model this installation offers; choose one of "
            f"{', '.join(allowed)} (the node label nvidia.com/gpu.product), "
            f"e.g. '{allowed[0]}'.",
            code="unknown_gpu_model",
        )


def validate_mig_profile(value: str) -> None:
    allowed = settings.GANTRY_MIG_PROFILES
    if value not in allowed:
        raise ValidationError(
            f"'{value}' is not a MIG profile this installation offers; choose one of "
            f"{', '.join(allowed)}, e.g. '{allowed[0]}'.",
            code="unknown_mig_profile",
        )


def validate_http_path(value: str) -> None:
    if not value.startswith("/") or any(ch.isspace() for ch in value):
        raise ValidationError(
            f"'{value}' is not an HTTP path: start with '/' and use no spaces, e.g. '/health'.",
            code="invalid_path",
        )


def validate_http_url(value: str) -> None:
    """A URL Gantry's servers may ask: http or https only (no file:, ftp:, gopher: ...).

    The value is quoted with its password hidden: the message may be logged or shown.
    """
    problem = http_url_problem(value)
    if problem:
        raise ValidationError(f"'{redact_userinfo(value)}' {problem}", code="invalid_scheme")
