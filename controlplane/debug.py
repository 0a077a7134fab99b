"""What DEBUG's error page may show: SafeExceptionReporterFilter, with server addresses masked."""

import re

from django.views.debug import SafeExceptionReporterFilter

# Django's own list, plus the settings (and environment variables, in request.META under
# the development server) that hold the addresses of servers, which may carry passwords:
# DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, CACHES' LOCATION, PROMETHEUS_URL.
HIDDEN = (
    r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|REDIS|BROKER|LOCATION|PROMETHEUS_URL"
)


class SecretSettingsFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(HIDDEN, flags=re.IGNORECASE)
