"""gunicorn's settings for msblog: ``gunicorn msblog.wsgi`` run from this directory reads
this file (``make serve`` does). Each value can be set from the environment:

    GUNICORN_BIND       address(es) to listen on, comma-separated; else 0.0.0.0:$PORT when
                        PORT is set, else 127.0.0.1:8000
    WEB_CONCURRENCY     worker processes; default 2 x CPU cores + 1
    GUNICORN_THREADS    threads per worker; default 1 (more than 1 uses gthread workers)
    GUNICORN_TIMEOUT    seconds a request may take before its worker is restarted (30)
    GUNICORN_GRACEFUL_TIMEOUT  seconds to finish in-flight requests on SIGTERM/HUP (30)
    GUNICORN_MAX_REQUESTS      requests before a worker is replaced (1000, jittered)
    LOG_FORMAT, LOG_LEVEL      as for Django (msblog/settings.py): JSON lines on stdout in
                        production, readable text in development
"""

import multiprocessing
import os
from pathlib import Path

from msblog.env import env_value
from msblog.logs import stdout_logging

bind = [address for address in os.environ.get("GUNICORN_BIND", "").split(",") if address] or [
    f"0.0.0.0:{env_value('PORT', 8000, minimum=1)}" if "PORT" in os.environ else "127.0.0.1:8000"
]

# Requests mostly wait on the database and render templates: 2 x cores + 1 keeps the
# CPUs busy while some workers wait. Each worker (x threads) holds one database
# connection, so workers x threads x app servers must stay under PostgreSQL's
# max_connections (100 by default).
workers = env_value("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1, minimum=1)
threads = env_value("GUNICORN_THREADS", 1, minimum=1)

timeout = env_value("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = env_value("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=0)
# Longer than a load balancer's probe interval, shorter than its idle timeout (gthread).
keepalive = 5
# Replace each worker after this many requests, at staggered times, so slow growth in
# memory never adds up and workers never all restart at once.
max_requests = env_value("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = max_requests // 10

# The heartbeat file in memory, not on a disk that may stall (gunicorn's advice for
# containers); gunicorn creates its own private temporary file there.
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108
if SHARED_MEMORY.is_dir():
    worker_tmp_dir = str(SHARED_MEMORY)

# Whether a request came over HTTPS is Django's call alone (SECURE_PROXY_SSL_HEADER, set
# by BEHIND_TLS_PROXY), so gunicorn must not mark requests secure from headers itself.
secure_scheme_headers = {}

proc_name = "msblog"
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
_production = os.environ.get("DJANGO_ENV", "production") == "production"
logconfig_dict = stdout_logging(
    os.environ.get("LOG_FORMAT") or ("json" if _production else "text"),
    level=os.environ.get("LOG_LEVEL", "INFO"),
    # No handlers of their own: they reach stdout through the root logger, once.
    loggers={"gunicorn.error": {"propagate": True}, "gunicorn.access": {"propagate": True}},
)

# gunicorn 27's control socket defaults to one path per user, which every gunicorn on the
# machine (tests, benchmarks, other sites) would share; nothing here uses it.
control_socket_disable = True
