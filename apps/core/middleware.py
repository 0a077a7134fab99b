"""Request guards that must run before a view reads anything."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.core.api import error_response


class ApiBodySizeLimitMiddleware:
    """Answer 413 to API requests whose declared body is over GANTRY_API_MAX_BODY_BYTES.

    It looks only at Content-Length, so the body is never read: a client cannot
    make the server buffer megabytes it will refuse anyway. A body sent without
    a length is capped by DATA_UPLOAD_MAX_MEMORY_SIZE, set to the same limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            refusal = self._refusal(request.META.get("CONTENT_LENGTH"))
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _refusal(declared: str | None) -> HttpResponse | None:
        if not declared:
            return None
        try:
            length = int(declared)
        except ValueError:
            return error_response(
                400, "invalid_length", f"Content-Length '{declared[:20]}' is not a number."
            )
        limit = settings.GANTRY_API_MAX_BODY_BYTES
        if length > limit:
            return error_response(
                413,
                "too_large",
                f"The request body is {length} bytes; the API accepts at most {limit} bytes.",
            )
        return None
