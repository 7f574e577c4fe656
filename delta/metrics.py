"""Prometheus metrics (``prometheus-client``) for the portal and the region nodes.

What is measured: every HTTP request by method, route template and status
(never the raw path: label values stay a small, fixed set), CKAN actions by
name, database statements and search calls. Other parts add their own with
the registration API at the bottom (``counter``, ``gauge``, ``histogram``,
``sampled_gauge``, ``register_collector``); docs/operations.md shows how.

Several worker processes (``delta serve --workers N``) each count in their own
memory-mapped files under ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds
them up, whichever worker answers the scrape. prometheus-client chooses that
mode when it is first imported, so the serve commands call
:func:`delta.metrics_dir.prepare` before anything imports this module.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

from delta import metrics_dir

log = logging.getLogger(__name__)

MULTIPROCESS_ENV = metrics_dir.ENV
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the classic text format every Prometheus reads
# Seconds; from a cached page (about a millisecond) to a large export.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5)
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROCESS_ENV))


HTTP_REQUESTS = Counter(
    "delta_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ("method", "route", "status"),
)
HTTP_DURATION = Histogram(
    "delta_http_request_duration_seconds",
    "Time to answer an HTTP request (until the last byte was handed to the server).",
    ("method", "route"),
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge(
    "delta_http_requests_in_progress",
    "HTTP requests being answered now.",
    multiprocess_mode="livesum",
)
ACTION_REQUESTS = Counter(
    "delta_ckan_action_requests_total",
    "CKAN Action API calls, by action name and HTTP status code.",
    ("action", "status"),
)
ACTION_DURATION = Histogram(
    "delta_ckan_action_duration_seconds",
    "Time to answer a CKAN Action API call, by action name.",
    ("action",),
    buckets=LATENCY_BUCKETS,
)
DB_DURATION = Histogram(
    "delta_db_statement_duration_seconds",
    "Time the database took for one statement, by database and statement kind.",
    ("database", "operation"),
    buckets=QUERY_BUCKETS,
)
SEARCH_DURATION = Histogram(
    "delta_search_duration_seconds",
    "Time a search backend call took, by backend and operation.",
    ("backend", "operation"),
    buckets=LATENCY_BUCKETS,
)


# -- multi-process mode: workers that are gone (the folder itself: delta/metrics_dir.py) -----


def _forget_dead_processes(path: str) -> None:
    """Live gauges of a worker that was killed would otherwise count for ever."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = name.rsplit("_", 1)[1].removesuffix(".db")
        if pid.isdigit() and not _alive(int(pid)):
            multiprocess.mark_process_dead(int(pid), path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user
        return True
    return True


# -- exposition ----------------------------------------------------------------------------

_sampled: dict[str, Collector] = {}


class _Exposition:
    """What one scrape shows: this process's (or all workers') metrics and the sampled ones."""

    def collect(self) -> Iterator[Metric]:
        path = os.environ.get(MULTIPROCESS_ENV)
        if path:
            _forget_dead_processes(path)
            yield from multiprocess.MultiProcessCollector(None, path=path).collect()
        else:
            yield from REGISTRY.collect()
        for name, collector in list(_sampled.items()):
            try:
                yield from list(collector.collect())
            except Exception:  # one broken hook must not blank the whole scrape
                log.warning("metrics collector %s failed", name, exc_info=True)


def exposition() -> bytes:
    """The text exposition format (version 0.0.4) of everything above."""
    return generate_latest(_Exposition())


# -- what the kernel measures ----------------------------------------------------------------


# The labelled children, looked up once per label set (``labels()`` costs microseconds
# on every request; the label sets are few and fixed, so the cache stays small).
_request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_action_children: dict[tuple[str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    children = _request_children.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_DURATION.labels(method, route),
        )
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_action(action: str, status: int, seconds: float) -> None:
    key = (action, status)
    children = _action_children.get(key)
    if children is None:
        children = (ACTION_REQUESTS.labels(action, str(status)), ACTION_DURATION.labels(action))
        _action_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def observe_search(backend: str, operation: str, seconds: float) -> None:
    SEARCH_DURATION.labels(backend, operation).observe(seconds)


_OPERATIONS = frozenset({"select", "insert", "update", "delete", "with", "copy"})


def _operation(statement: str) -> str:
    word = statement[:16].lstrip().split(None, 1)
    kind = word[0].lower() if word else ""
    return kind if kind in _OPERATIONS else "other"


_instrumented: weakref.WeakSet[Engine] = weakref.WeakSet()


def instrument_engine(engine: Engine, *, database: str) -> None:
    """Time every statement ``engine`` runs (``database`` names it in the labels)."""
    if engine in _instrumented:
        return
    _instrumented.add(engine)

    def before(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool):  # type: ignore[no-untyped-def]
        if context is not None:
            context._delta_started = time.perf_counter()

    def after(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool):  # type: ignore[no-untyped-def]
        started = getattr(context, "_delta_started", None)
        if started is not None:
            DB_DURATION.labels(database, _operation(statement)).observe(
                time.perf_counter() - started
            )

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)


# -- registration API for other parts ----------------------------------------------------------

_created: dict[str, Any] = {}


def _check_name(name: str) -> None:
    if not _METRIC_NAME.fullmatch(name) or not name.startswith("delta_"):
        raise ValueError(f"metric names start with delta_ and use [a-zA-Z0-9_:]: {name!r}")


def _once(name: str, make: Callable[[], Any]) -> Any:
    # App factories run more than once in one process (tests): reuse, never re-register.
    if name not in _created:
        _check_name(name)
        _created[name] = make()
    return _created[name]


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
    """A counter (``name`` ends in ``_total``), summed over worker processes."""
    metric: Counter = _once(name, lambda: Counter(name, documentation, labelnames))
    return metric


def histogram(
    name: str,
    documentation: str,
    labelnames: Sequence[str] = (),
    *,
    buckets: Sequence[float] = LATENCY_BUCKETS,
) -> Histogram:
    """A histogram (seconds by default), summed over worker processes."""
    metric: Histogram = _once(
        name, lambda: Histogram(name, documentation, labelnames, buckets=buckets)
    )
    return metric


GaugeMode = Literal[
    "all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent",
    "livemostrecent",
]  # fmt: skip


def gauge(
    name: str, documentation: str, labelnames: Sequence[str] = (), *, mode: GaugeMode = "livesum"
) -> Gauge:
    """A gauge a process sets or moves (e.g. harvest jobs running in this process).

    ``mode`` says how worker processes combine: ``livesum`` (sum over live
    workers), ``max``, ``min``, ``mostrecent`` and the other modes of
    prometheus-client.
    """
    metric: Gauge = _once(
        name, lambda: Gauge(name, documentation, labelnames, multiprocess_mode=mode)
    )
    return metric


Sample = float | Mapping[tuple[str, ...], float]


class _SampledGauge:
    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], sample: Callable[[], Sample]
    ) -> None:
        self.name, self.documentation = name, documentation
        self.labelnames, self.sample = list(labelnames), sample

    def collect(self) -> Iterable[Metric]:
        value = self.sample()
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labelnames)
        if isinstance(value, Mapping):
            for labels, number in value.items():
                family.add_metric(list(labels), float(number))
        else:
            family.add_metric([], float(value))
        return [family]


def sampled_gauge(
    name: str,
    documentation: str,
    sample: Callable[[], Sample],
    *,
    labelnames: Sequence[str] = (),
) -> None:
    """A gauge read when Prometheus scrapes, e.g. an outbox's depth from its table.

    ``sample`` returns a number, or with ``labelnames`` a mapping from label
    values to numbers. It runs in whichever worker answers the scrape, so it
    must read shared state (the database), not one process's memory.
    Registering a name again replaces the earlier sampler.
    """
    _check_name(name)
    register_collector(name, _SampledGauge(name, documentation, labelnames, sample))


def register_collector(name: str, collector: Collector) -> None:
    """Any prometheus-client collector, asked at every scrape (replaces one of the same name)."""
    _sampled[name] = collector


def unregister_collector(name: str) -> None:
    _sampled.pop(name, None)


def check_mode() -> None:
    """Fail loudly when multi-process mode was asked for after the metrics already existed:
    each worker would count in its own memory and a scrape would show one worker only."""
    from prometheus_client import values

    if multiprocess_mode() and not getattr(values.ValueClass, "_multiprocess", False):
        raise RuntimeError(f"{MULTIPROCESS_ENV} was set after prometheus_client was imported")
