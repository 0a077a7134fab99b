#!/bin/sh
# The image's entrypoint: its first argument picks what the container runs.
#   web      gunicorn on $GANTRY_PORT (controlplane/gunicorn_conf.py)
#   worker   a Celery worker on every queue ($GANTRY_WORKER_CONCURRENCY processes)
#   beat     Celery beat (exactly one per installation); its schedule file lives in /tmp
#   migrate  apply database migrations, then exit
#   manage   any manage.py command, e.g. `manage createsuperuser`
# Anything else runs as given.
set -eu
cmd="${1:-web}"
[ "$#" -gt 0 ] && shift
case "$cmd" in
  web)
    exec gunicorn controlplane.wsgi --config python:controlplane.gunicorn_conf \
      --bind "0.0.0.0:${GANTRY_PORT:-8000}" --worker-tmp-dir /tmp \
      --access-logfile - --error-logfile - "$@" ;;
  worker)
    exec celery -A controlplane worker --queues reconcile,resync,celery \
      --concurrency "${GANTRY_WORKER_CONCURRENCY:-4}" --loglevel "${LOG_LEVEL:-INFO}" "$@" ;;
  beat)
    exec celery -A controlplane beat --loglevel "${LOG_LEVEL:-INFO}" \
      --schedule /tmp/celerybeat-schedule "$@" ;;
  migrate)
    exec python manage.py migrate --noinput "$@" ;;
  manage)
    exec python manage.py "$@" ;;
  *)
    exec "$cmd" "$@" ;;
esac
