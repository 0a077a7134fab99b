"""What every API endpoint shares: one error shape and schema hooks.

Every failure answers `{"error": "<code>", "detail": "<sentence>", "fields": {...}}`,
whatever raised it: a serializer, a service's Django ValidationError, a missing
or foreign object (404), authentication (401), permissions (403), throttling
(429), an oversized body (413, see apps.core.middleware) or a bug (500, logged
with its traceback but never shown).
"""

import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

NOT_FOUND_DETAIL = "Not found: there is no such object, or it belongs to a team you are not in."


def error_body(code: str, detail: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    return {"error": code, "detail": detail, "fields": dict(fields or {})}


def error_response(
    status_code: int, code: str, detail: str, fields: Mapping[str, list[str]] | None = None
) -> JsonResponse:
    """The error shape as a plain Django response, for code that runs outside DRF."""
    return JsonResponse(error_body(code, detail, fields), status=status_code)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: map every exception to the one error shape."""
    headers: dict[str, str] = {}
    if isinstance(exc, DjangoValidationError):
        return _validation_response(exc)
    if isinstance(exc, exceptions.ValidationError):
        fields, general = _drf_messages(exc.detail)
        return _respond(400, "invalid", _summary(general, fields), fields)
    if isinstance(exc, Http404 | exceptions.NotFound):
        detail = NOT_FOUND_DETAIL
        if (
            isinstance(exc, exceptions.NotFound)
            and exc.detail != exceptions.NotFound.default_detail
        ):
            detail = str(exc.detail)  # e.g. pagination's "Invalid page."
        return _respond(404, "not_found", detail)
    if isinstance(exc, DjangoPermissionDenied):
        detail = str(exc) or exceptions.PermissionDenied.default_detail
        return _respond(403, "permission_denied", detail)
    if isinstance(exc, RequestDataTooBig):
        return _respond(413, "too_large", str(exc))
    if isinstance(exc, exceptions.APIException):
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        status_code = exc.status_code
        detail = str(exc.detail)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            # DRF answers 403 when no authenticator offers a challenge; ours always does.
            status_code = 401
        if isinstance(exc, exceptions.NotAuthenticated):
            detail = (
                "Authentication is required: send 'Authorization: Bearer <token>' with a "
                "personal API token, or sign in with the browser."
            )
        return _respond(status_code, code, detail, headers=headers)
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return _respond(500, "server_error", "Something went wrong on our side; it has been logged.")


def _validation_response(exc: DjangoValidationError) -> Response:
    """A services' ValidationError: 400 per field, or 409 for a quota refusal."""
    fields, general = _django_messages(exc)
    # Quota refusals are valid requests the team's current usage cannot admit.
    quota = not hasattr(exc, "error_dict") and any(
        e.code == "quota_exceeded" for e in exc.error_list
    )
    if not quota:
        return _respond(400, "invalid", _summary(general, fields), fields)
    # Each refusal names the field that asked for too much (see quotas.admit).
    for error in exc.error_list:
        field = (error.params or {}).get("field")
        if field:
            fields.setdefault(field, []).extend(error.messages)
    return _respond(409, "quota_exceeded", _summary(general, {}), fields)


def _respond(
    status_code: int,
    code: str,
    detail: str,
    fields: Mapping[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(error_body(code, detail, fields), status=status_code, headers=headers)


def _django_messages(exc: DjangoValidationError) -> tuple[dict[str, list[str]], list[str]]:
    if not hasattr(exc, "error_dict"):
        return {}, list(exc.messages)
    fields = {name: list(messages) for name, messages in exc.message_dict.items()}
    return fields, fields.pop(NON_FIELD_ERRORS, [])


def _drf_messages(detail: Any, prefix: str = "") -> tuple[dict[str, list[str]], list[str]]:
    """Flatten DRF's nested error detail into {"a.b": [messages]} and general messages."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if key in ("non_field_errors", NON_FIELD_ERRORS) and not prefix:
                general.extend(_drf_messages(value)[1])
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            nested_fields, nested_general = _drf_messages(value, name)
            fields.update(nested_fields)
            if nested_general:
                fields.setdefault(name, []).extend(nested_general)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, Mapping | list):
                nested_fields, nested_general = _drf_messages(item, f"{prefix}.{index}")
                fields.update(nested_fields)
                general.extend(nested_general)
            else:
                general.append(str(item))
    else:
        general.append(str(detail))
    return fields, general


def _summary(general: list[str], fields: Mapping[str, list[str]]) -> str:
    parts = list(general) + [f"{name}: {messages[0]}" for name, messages in fields.items()]
    return " ".join(parts) if parts else "The request is not valid."


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id that accepts only the objects the requesting user may use.

    `scoped(user)` builds the allowed queryset (a model's `visible_to(user)`).
    An id outside it gets the same answer as an id that does not exist, so a
    request can never confirm that another team's object is there.
    """

    default_error_messages = {
        "does_not_exist": "There is no {name} with id {pk_value} that you may use here.",
        "incorrect_type": "Give the {name}'s id as a whole number, e.g. 12.",
    }

    def __init__(self, scoped: Callable[[Any], QuerySet], *, name: str, **kwargs: Any) -> None:
        self.scoped = scoped
        self.name = name
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        return self.scoped(getattr(request, "user", None))

    def fail(self, key: str, **kwargs: Any) -> None:
        super().fail(key, name=self.name, **kwargs)


# Plausible values, for the example in a number's error message.
NUMBER_EXAMPLES = {
    "replicas": 2,
    "min_replicas": 1,
    "max_replicas": 4,
    "autoscaling_target": 70,
    "gpu_count": 1,
    "default_gpu_count": 1,
    "canary_weight": 10,
    "weight": 10,
    "port": 8000,
    "revision": 1,
    "expires_in_days": 30,
}
# Bounds above this are the column's size, not a rule worth stating in every message.
_STATED_MAXIMUM = 10**6


class NumberField(serializers.IntegerField):
    """A whole number whose errors state the allowed range with an example, as other
    fields' errors do: 'replicas must be a whole number, 0 or more, e.g. 2.'"""

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        within = number_message(field_name, self.min_value, self.max_value)
        beyond = number_message(field_name, self.min_value, self.max_value, state_maximum=True)
        self.error_messages = {
            **self.error_messages,
            "invalid": within,
            "max_string_length": beyond,
            "min_value": within,
            "max_value": beyond,
        }
        for validator in self.validators:
            if isinstance(validator, MinValueValidator):
                validator.message = within
            elif isinstance(validator, MaxValueValidator):
                validator.message = beyond


def number_message(
    name: str, minimum: int | None, maximum: int | None, *, state_maximum: bool = False
) -> str:
    if maximum is not None and maximum > _STATED_MAXIMUM and not state_maximum:
        maximum = None
    example = NUMBER_EXAMPLES.get(name, max(minimum or 0, 1))
    if maximum is not None:
        example = min(example, maximum)
    if minimum is not None and maximum is not None:
        return f"{name} must be a whole number from {minimum} to {maximum}, e.g. {example}."
    if minimum is not None:
        return f"{name} must be a whole number, {minimum} or more, e.g. {example}."
    if maximum is not None:
        return f"{name} must be a whole number, {maximum} or less, e.g. {example}."
    return f"{name} must be a whole number, e.g. {example}."


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with NumberField for every integer column."""

    serializer_field_mapping = {
        model_field: NumberField if field is serializers.IntegerField else field
        for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
    }


@csrf_exempt  # it changes nothing, and a CSRF page would break the error shape
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer in the error shape, not an HTML page."""
    return error_response(404, "not_found", f"There is no API endpoint at {request.path}.")


# Status codes any authenticated API operation may answer, besides its own.
COMMON_ERRORS = {
    status.HTTP_400_BAD_REQUEST: "The request is not valid; `fields` says which parts.",
    status.HTTP_401_UNAUTHORIZED: "No, an invalid, an expired or a revoked token.",
    status.HTTP_403_FORBIDDEN: "Your role in the team does not allow this.",
    status.HTTP_404_NOT_FOUND: "No such object, or it belongs to a team you are not in.",
    status.HTTP_405_METHOD_NOT_ALLOWED: "The method is not allowed here.",
    status.HTTP_406_NOT_ACCEPTABLE: "The requested media type cannot be produced.",
    status.HTTP_409_CONFLICT: "The team's quota cannot admit this change.",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The request body is over the size limit.",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "The request body's media type is not supported.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Too many requests with this token; retry later.",
}


def add_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular postprocessing hook: document the error shape on every operation."""
    ref = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_ERRORS.items():
                responses.setdefault(
                    str(code),
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "detail": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["error", "detail", "fields"],
    }
    return result
