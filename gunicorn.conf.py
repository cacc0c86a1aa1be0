"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py app:app`.

Every number comes from the environment so the capacity arithmetic in docs/deploy.md can be
applied without editing code. At start the master checks that workers × (pool + overflow)
stays well under PostgreSQL's max_connections.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Build the app once in the master and fork the workers from it: importing and building the app
# costs ≈ 2.5 CPU-seconds, which every worker otherwise pays again at each max_requests restart —
# during a mass event, several workers at once. Forked workers also share the loaded code's memory.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
accesslog = "-"
errorlog = "-"
access_log_format = '{"ts":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","status":%(s)s,"bytes":%(B)s,"ms":%(M)s}'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse to start when the connection pools could exhaust PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        return
    from sqlalchemy import create_engine, text

    from netral_learn.config import normalize_database_url

    pool = int(os.environ.get("DB_POOL_SIZE", "5")) + int(os.environ.get("DB_MAX_OVERFLOW", "5"))
    needed = workers * pool
    engine = create_engine(normalize_database_url(url))
    with engine.connect() as connection:
        limit = int(connection.execute(text("SHOW max_connections")).scalar())
    engine.dispose()
    reserve = int(os.environ.get("DB_RESERVED_CONNECTIONS", "10"))
    if needed > limit - reserve:
        raise SystemExit(
            f"Koneksi database tidak cukup: {workers} worker × (pool+overflow {pool}) = {needed} "
            f"melebihi max_connections {limit} dikurangi cadangan {reserve}. Kurangi GUNICORN_WORKERS atau DB_POOL_SIZE.")
    server.log.info("database connections: %s of max_connections %s", needed, limit)


def _preloaded_netral_app(server):
    """The app the master built, if it preloaded this app (not the benchmark's bare "hello")."""
    if not preload_app:
        return None
    app = server.app.wsgi()
    return app if "sqlalchemy" in getattr(app, "extensions", {}) else None


def when_ready(server):
    """Compile every template in the master before the first worker is forked, so each worker (and
    each replacement) starts with them compiled instead of compiling them on its first requests
    (≈ 0.5 CPU-s per worker)."""
    app = _preloaded_netral_app(server)
    if app is None:
        return
    for name in app.jinja_env.list_templates(extensions=("html", "txt", "svg", "xml")):
        app.jinja_env.get_template(name)


def post_fork(server, worker):
    """A worker forked from a preloaded app opens its own database connections: drop any pooled
    connection object inherited from the master (which should hold none) without closing the
    master's sockets. Redis clients notice the new process id and reconnect by themselves."""
    app = _preloaded_netral_app(server)
    if app is None:
        return
    from netral_learn.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
