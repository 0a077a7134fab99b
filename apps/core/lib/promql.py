"""PromQL templates: expansion of `${name}` and a syntax check, as pure functions.

Kept apart from apps.monitoring so the Cluster model can validate its template
overrides without importing a later app. The grammar check is promql-parser's
(the Rust port of Prometheus' own parser), so an error reads as Prometheus
would say it.
"""

import re
from collections.abc import Iterable, Mapping

import promql_parser
from django.core.exceptions import ValidationError

# `${name}` with a name that starts with a letter: label_replace's `$1` and `${1}` stay.
PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_.]*)\}")

# Values standing in for the variables when a template is checked without a page.
SAMPLE_VARIABLES: dict[str, str] = {
    "namespaces": "dev-nlp|prod-nlp",
    "deployments": "llama-3-8b|llama-3-8b-canary",
    "window": "60s",
    "range": "3600s",
    "step": "60s",
    "rank_step": "300s",
    "top": "10",
}

# Templates whose value is a regular expression (spliced into a matcher), not PromQL.
REGEX_TEMPLATES = frozenset({"pod_regex"})


class TemplateError(ValueError):
    """A template that cannot be expanded or does not parse; the message names it."""


def expand(
    name: str,
    templates: Mapping[str, str],
    variables: Mapping[str, str],
    runtime: str = "",
) -> str:
    """The PromQL of template `name`, with every `${...}` replaced.

    `${x}` is the template `x.<runtime>` when there is one, else the template `x`,
    else the variable `x`; anything else is an error naming the template.
    """
    return _expand(name, templates, variables, runtime, ())


def _lookup(name: str, templates: Mapping[str, str], runtime: str) -> str | None:
    if runtime and f"{name}.{runtime}" in templates:
        return f"{name}.{runtime}"
    return name if name in templates else None


def _expand(
    name: str,
    templates: Mapping[str, str],
    variables: Mapping[str, str],
    runtime: str,
    stack: tuple[str, ...],
) -> str:
    key = _lookup(name, templates, runtime)
    if key is None:
        raise TemplateError(f"there is no PromQL template named '{name}'.")
    if key in stack:
        raise TemplateError(
            f"PromQL template '{stack[0]}' refers to itself: {' -> '.join([*stack, key])}."
        )

    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if _lookup(ref, templates, runtime) is not None:
            return _expand(ref, templates, variables, runtime, (*stack, key))
        if ref in variables:
            return variables[ref]
        raise TemplateError(
            f"PromQL template '{key}' uses ${{{ref}}}, which is neither a template nor one "
            f"of the variables {', '.join(sorted(variables))}."
        )

    return PLACEHOLDER_RE.sub(replace, templates[key])


def check(
    templates: Mapping[str, str],
    runtimes: Iterable[str],
    variables: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Problems of each template (name -> message), checked for every runtime; {} when none.

    A template is checked after expansion with sample variables: PromQL ones must
    parse, regular-expression ones must compile.
    """
    variables = SAMPLE_VARIABLES if variables is None else variables
    problems: dict[str, str] = {}
    for name, text in templates.items():
        if not isinstance(text, str):
            problems[name] = f"PromQL template '{name}' must be text, not {type(text).__name__}."
            continue
        base, _, runtime = name.partition(".")
        contexts = [runtime] if runtime else ["", *runtimes]
        for context in contexts:
            try:
                expr = expand(name, templates, {**variables, "histogram": "x"}, context)
                if base in REGEX_TEMPLATES:
                    re.compile(expr)
                elif base == "histogram":
                    _require_metric_name(name, expr)
                else:
                    promql_parser.parse(expr)
            except TemplateError as exc:
                problems[name] = str(exc)
            except (ValueError, re.error) as exc:
                where = f" (for runtime {context})" if context else ""
                problems[name] = f"PromQL template '{name}'{where} does not parse: {exc}."
            if name in problems:
                break
    return problems


_METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def _require_metric_name(name: str, value: str) -> None:
    if not _METRIC_NAME_RE.match(value) or value.endswith("_bucket"):
        raise TemplateError(
            f"'{name}' must be a histogram's metric name without '_bucket', "
            f"e.g. 'http_request_duration_seconds'; got '{value}'."
        )


def validate_overrides(value: object) -> None:
    """Validator of Cluster.promql: known template names, each one well-formed.

    The overrides are checked merged over the global templates, since a template
    may refer to others.
    """
    from django.conf import settings

    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError(
            "PromQL overrides are a JSON object of template name to PromQL, e.g. "
            '{"errors": "http_requests_total{namespace=~\\"${namespaces}\\", code=~\\"5..\\"}"}.'
        )
    known = set(settings.GANTRY_PROMQL)
    unknown = sorted(
        key
        for key in value
        if key.partition(".")[0] not in known and not key.startswith("histogram.")
    )
    if unknown:
        raise ValidationError(
            f"Unknown PromQL template(s): {', '.join(unknown)}. "
            f"Known: {', '.join(sorted(known))}, and histogram.<runtime>."
        )
    # The global templates passed the start-up check, so whatever fails now (an
    # override, or a global template that uses an overridden one) is the overrides' doing.
    problems = check({**settings.GANTRY_PROMQL, **value}, runtimes=[])
    if problems:
        raise ValidationError(list(problems.values()))
