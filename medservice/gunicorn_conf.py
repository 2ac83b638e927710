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
