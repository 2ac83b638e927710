"""gunicorn settings that `manage.py serve` uses (`-c python:medservice.gunicorn_conf`)."""

import gc


def tune_garbage_collector() -> None:
    """Move everything loaded at start-up (Django, compiled templates) out of the
    collector's sight and collect the young generation less often: full collections over the
    app's long-lived objects were the slowest 5% of page views (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def post_worker_init(worker) -> None:
    tune_garbage_collector()


# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): two
# instances on one machine (two installations, a test beside `make run`) would take each
# other's. supervisorctl is how this layout is operated (deploy/supervisord.conf).
control_socket_disable = True
