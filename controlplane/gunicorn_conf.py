"""gunicorn's settings for every way Gantry serves HTTP: `make run`, the benchmarks and images.

Start it with `gunicorn --config python:controlplane.gunicorn_conf controlplane.wsgi`.

Processes rather than threads carry the load. Requests are mostly Python, which
holds the GIL: with four threads in each of two processes, a list request at
100 requests/s waited its turn behind the others and p99 reached 480 ms, while
four processes with one thread each answered the same load with p99 24 ms and
less CPU per request (`make bench BENCH=api`). The second thread per process
lets a page that waits on Prometheus or the database not hold a whole process.
"""

import os

from controlplane.envvars import env_int

workers = env_int("GANTRY_WEB_WORKERS", 2 * (os.cpu_count() or 1), minimum=1)
threads = env_int("GANTRY_WEB_THREADS", 2, minimum=1)
worker_class = "gthread"
# A worker that takes longer than this on one request is killed and replaced.
timeout = env_int("GANTRY_WEB_TIMEOUT_S", 60, minimum=1)
# Let keep-alive connections from a load balancer or client be reused.
keepalive = 5
