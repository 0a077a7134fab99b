"""An environment's external exposure as plain data: its settings, their checks, and the
host and URL each deployment gets. No ORM and no cluster, so the Environment model, the
manifests and the API's URLs all read the same rules.

A host template names each deployment's host, e.g. `{deployment}.{namespace}.{domain}`.
Each placeholder stands for a whole DNS label (or, for `{domain}`, whole labels), so a
host stays a valid DNS name whatever the deployment, team and namespace are called.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from apps.clusters.choices import ExposureMode
from apps.core.validators import DNS_LABEL_MAX, DNS_LABEL_RE, DNS_SUBDOMAIN_RE

DEFAULT_HOST_TEMPLATE = "{deployment}.{namespace}.{domain}"
PLACEHOLDERS = ("deployment", "namespace", "team", "environment", "domain")
HOST_MAX = 253
# cert-manager reads this annotation on an Ingress and issues its TLS Secret.
CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
EXAMPLE_DOMAIN = "models.example.com"


@dataclass(frozen=True)
class Exposure:
    """How an environment's deployments are reached from outside the cluster."""

    mode: str = ExposureMode.NONE
    host_template: str = ""
    domain: str = ""
    ingress_class: str = ""
    tls_secret: str = ""
    tls_issuer: str = ""
    gateway: str = ""  # "namespace/name" of the Gateway HTTPRoutes attach to

    @property
    def enabled(self) -> bool:
        return self.mode in (ExposureMode.INGRESS, ExposureMode.HTTP_ROUTE)

    @property
    def scheme(self) -> str:
        # A Gateway terminates TLS on its listener; an Ingress only when given a certificate.
        if self.mode == ExposureMode.HTTP_ROUTE or self.tls_secret or self.tls_issuer:
            return "https"
        return "http"

    @property
    def gateway_ref(self) -> tuple[str, str]:
        """(namespace, name) of the Gateway."""
        namespace, _, name = self.gateway.partition("/")
        return namespace, name

    def host(self, *, deployment: str, namespace: str, team: str, environment: str) -> str:
        return self.host_template.format(
            deployment=deployment,
            namespace=namespace,
            team=team,
            environment=environment,
            domain=self.domain,
        )

    def url(self, *, deployment: str, namespace: str, team: str, environment: str) -> str:
        """The deployment's external URL, or "" when the environment does not expose it."""
        if not self.enabled:
            return ""
        host = self.host(
            deployment=deployment, namespace=namespace, team=team, environment=environment
        )
        return f"{self.scheme}://{host}"


def problems(exposure: Exposure) -> dict[str, str]:
    """What is wrong with the settings, by field, each message with a valid example."""
    errors: dict[str, str] = {}
    if exposure.domain and not _is_dns_name(exposure.domain):
        errors["domain"] = (
            f"'{exposure.domain}' is not a DNS name: lowercase letters, digits, '-' and '.', "
            f"no wildcard, e.g. '{EXAMPLE_DOMAIN}'."
        )
    if exposure.tls_secret and exposure.tls_issuer:
        errors["tls_issuer"] = (
            "Give either a TLS Secret or a cert-manager issuer, not both: the issuer makes "
            "one Secret per deployment, the Secret serves them all (a wildcard certificate)."
        )
    if not exposure.enabled:
        return errors
    template_error = host_template_problem(exposure.host_template, exposure.domain)
    if template_error:
        field, message = template_error
        errors.setdefault(field, message)
    if exposure.mode == ExposureMode.HTTP_ROUTE:
        errors.update(_gateway_problems(exposure))
    return errors


def _gateway_problems(exposure: Exposure) -> dict[str, str]:
    errors = {}
    namespace, name = exposure.gateway_ref
    if not exposure.gateway:
        errors["gateway"] = (
            "An HTTPRoute attaches to a Gateway: give its namespace and name, "
            "e.g. 'gateway-system/public'."
        )
    elif not (
        "/" in exposure.gateway
        and DNS_LABEL_RE.match(namespace)
        and len(namespace) <= DNS_LABEL_MAX
        and _is_object_name(name)
    ):
        errors["gateway"] = (
            f"'{exposure.gateway}' is not namespace/name of a Gateway: both lowercase "
            "letters, digits and '-', e.g. 'gateway-system/public'."
        )
    for field in ("tls_secret", "tls_issuer"):
        if getattr(exposure, field):
            errors[field] = (
                "With a Gateway, TLS is set on the Gateway's listener, not per route: "
                "leave this empty."
            )
    return errors


def host_template_problem(template: str, domain: str) -> tuple[str, str] | None:
    """(field, message) for a host template that could make an invalid or shared host."""
    example = f"e.g. '{DEFAULT_HOST_TEMPLATE}'"
    if not template:
        return "host_template", f"Exposure needs a host template, {example}."
    used, problem = _placeholders(template)
    if problem:
        return "host_template", f"{problem}, {example}."
    if "deployment" not in used or not used & {"namespace", "team"}:
        return "host_template", (
            "The template must name {deployment} and {namespace} (or {team}), so that no "
            f"two deployments share a host; {example}."
        )
    if "domain" in used and not domain:
        return "domain", f"The host template uses {{domain}}: give one, e.g. '{EXAMPLE_DOMAIN}'."
    if domain and "domain" not in used:
        return "domain", "The host template does not use {domain}: add it or clear this."
    for label in template.split("."):
        if "{" in label and label[1:-1] not in PLACEHOLDERS:
            return "host_template", (
                f"'{label}' mixes a placeholder with other text in one label; each "
                f"placeholder must be a whole label between dots, {example}."
            )
    # The longest host: every placeholder as long as its value may be.
    longest = template.format(**{p: "x" * DNS_LABEL_MAX for p in PLACEHOLDERS[:-1]}, domain=domain)
    sample = template.format(
        deployment="chat", namespace="prod-nlp", team="nlp", environment="prod", domain=domain
    )
    if not _is_dns_name(sample):
        return "host_template", (
            f"It makes hosts such as '{sample}', which is not a DNS name: lowercase letters, "
            f"digits, '-' and '.', {example}."
        )
    if len(longest) > HOST_MAX:
        return "host_template", (
            f"With 63-character names its hosts would be {len(longest)} characters, over "
            f"DNS's {HOST_MAX}: use fewer placeholders or a shorter domain, e.g. "
            f"'{{deployment}}.{{namespace}}.{EXAMPLE_DOMAIN}'."
        )
    return None


def _placeholders(template: str) -> tuple[set[str], str]:
    """The placeholders a template uses, or what is wrong with one of them."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return set(), f"'{template}' has an unmatched brace"
    used = set()
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            return set(), f"'{{{field}}}' is not a placeholder of host templates; use {allowed}"
        used.add(field)
    return used, ""


def _is_dns_name(value: str) -> bool:
    return (
        len(value) <= HOST_MAX
        and bool(DNS_SUBDOMAIN_RE.match(value))
        and all(len(label) <= DNS_LABEL_MAX for label in value.split("."))
    )


def _is_object_name(value: str) -> bool:
    return len(value) <= HOST_MAX and bool(DNS_SUBDOMAIN_RE.match(value))
