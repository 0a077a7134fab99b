# syntax=docker/dockerfile:1
# Gantry's one image: `web` (gunicorn), `worker`, `beat` or `migrate`, chosen by its command.
#   docker build -t gantry .   (or: buildah bud --format docker -t gantry .; the OCI format
#   has no HEALTHCHECK)
# BASE is any Debian-based image with CPython 3.11 (python3.11 on PATH).
ARG BASE=python:3.11-slim-bookworm

# ---- build: resolve the locked dependencies into /app/.venv, collect static files ----
FROM ${BASE} AS build
ENV UV_PYTHON=python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# uv from PyPI, pinned: the same resolver that wrote uv.lock installs from it.
RUN python3.11 -m venv /opt/uv && /opt/uv/bin/pip install --quiet uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
# Wheels only (psycopg[binary] and the rest ship them), so no compiler is needed anywhere.
RUN /opt/uv/bin/uv sync --frozen --no-dev --no-install-project --no-build
COPY manage.py ./
COPY controlplane ./controlplane
COPY apps ./apps
COPY templates ./templates
COPY static ./static
# Settings refuse to start without these; nothing here connects to a server.
RUN DEBUG=0 GANTRY_LOG_FILE='' \
    SECRET_KEY=collectstatic-at-build-time-only-not-a-secret-0123456789abcdef \
    DATABASE_URL=postgres://build@127.0.0.1:1/none \
    .venv/bin/python manage.py collectstatic --noinput -v0 \
    && .venv/bin/python -m compileall -q controlplane apps

# ---- runtime: the venv and the code, no compilers, no package caches, non-root ----
FROM ${BASE} AS runtime
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=0 \
    GANTRY_LOG_FILE= \
    GANTRY_STATE_DIR=/tmp/gantry \
    GANTRY_PORT=8000
# A numeric user, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
RUN groupadd --system --gid 10001 gantry \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home gantry
WORKDIR /app
COPY --from=build --chown=0:0 /app /app
COPY --chown=0:0 deploy/entrypoint.sh /usr/local/bin/gantry-entrypoint
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os,urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GANTRY_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["gantry-entrypoint"]
CMD ["web"]
