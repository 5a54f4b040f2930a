"""Metrics: OpenTelemetry instruments exported in the Prometheus text format for /metrics.

``setup_telemetry`` builds the process's ``Telemetry`` once; services receive its ``metrics()``,
an implementation of the ``core.ports.Metrics`` port, so they never import OpenTelemetry.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence

from opentelemetry import metrics as otel_metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import (
    Counter,
    Histogram,
    Meter,
    NoOpMeterProvider,
    UpDownCounter,
    _Gauge,  # the synchronous gauge: opentelemetry-api exports it under this name only
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

DEFAULT_BUCKETS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 10_000.0,
)  # fmt: skip
"""Histogram buckets spanning milliseconds to hours when observations are in seconds, and
small counts (batch sizes) alike."""

logger = logging.getLogger(__name__)

# OpenTelemetry silently drops instruments with other names; refuse them loudly instead.
_INSTRUMENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-/]{0,254}")


class Telemetry:
    """The metrics of one process: instruments by name and their Prometheus exposition."""

    def __init__(self, service_name: str, *, enabled: bool = True) -> None:
        self.service_name = service_name
        self.enabled = enabled
        self.registry = CollectorRegistry()
        self.provider: otel_metrics.MeterProvider
        if enabled:
            reader = PrometheusMetricReader(scope_info_enabled=False, registry=self.registry)
            self.provider = MeterProvider(
                metric_readers=[reader],
                resource=Resource.create({SERVICE_NAME: service_name}),
            )
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        else:
            self.provider = NoOpMeterProvider()
        self._meter: Meter = self.provider.get_meter("trading_bot")
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._up_down_counters: dict[str, UpDownCounter] = {}
        self._gauges: dict[str, _Gauge] = {}
        self._kinds: dict[str, str] = {}
        self._lock = threading.Lock()

    def counter(self, name: str, description: str = "", unit: str = "") -> Counter:
        """Return the counter called ``name``, creating it on first use."""
        with self._lock:
            if name not in self._counters:
                self._claim(name, "counter")
                self._counters[name] = self._meter.create_counter(name, unit, description)
            return self._counters[name]

    def histogram(
        self,
        name: str,
        description: str = "",
        unit: str = "",
        buckets: Sequence[float] = DEFAULT_BUCKETS,
    ) -> Histogram:
        """Return the histogram called ``name``, creating it on first use with ``buckets``."""
        with self._lock:
            if name not in self._histograms:
                self._claim(name, "histogram")
                self._histograms[name] = self._meter.create_histogram(
                    name, unit, description, explicit_bucket_boundaries_advisory=buckets
                )
            return self._histograms[name]

    def up_down_counter(self, name: str, description: str = "", unit: str = "") -> UpDownCounter:
        """Return the up-down counter (a gauge of things in flight) called ``name``."""
        with self._lock:
            if name not in self._up_down_counters:
                self._claim(name, "up_down_counter")
                self._up_down_counters[name] = self._meter.create_up_down_counter(
                    name, unit, description
                )
            return self._up_down_counters[name]

    def gauge(self, name: str, description: str = "", unit: str = "") -> _Gauge:
        """Return the gauge (a value set, not added to) called ``name``."""
        with self._lock:
            if name not in self._gauges:
                self._claim(name, "gauge")
                self._gauges[name] = self._meter.create_gauge(name, unit, description)
            return self._gauges[name]

    def metrics(self) -> OtelMetrics:
        """Return the ``core.ports.Metrics`` port backed by these instruments."""
        return OtelMetrics(self)

    def render_metrics(self) -> tuple[bytes, str]:
        """Return the Prometheus exposition of every metric and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def shutdown(self) -> None:
        """Stop collecting; the exposition keeps only the process metrics."""
        if isinstance(self.provider, MeterProvider):
            self.provider.shutdown()

    def _claim(self, name: str, kind: str) -> None:
        known = self._kinds.get(name)
        if known is not None:
            raise ValueError(f"metric {name!r} is a {known}, not a {kind}")
        if not _INSTRUMENT_NAME.fullmatch(name):
            raise ValueError(f"metric name {name!r} must match {_INSTRUMENT_NAME.pattern}")
        self._kinds[name] = kind


class OtelMetrics:
    """``core.ports.Metrics`` (and ``Gauges``) on OpenTelemetry: ``increment`` counts,
    ``observe`` records into a histogram, ``set_gauge`` sets a gauge. Instruments are created on
    first use; ``articles_scored`` is exported as ``articles_scored_total``,
    ``inference_latency`` as ``inference_latency_bucket`` etc."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    def increment(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` (not negative) to the counter ``name`` for these labels."""
        if amount < 0:
            raise ValueError(f"counter {name!r} cannot go down (amount {amount})")
        self._telemetry.counter(name).add(amount, attributes=labels)

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Record ``value`` (seconds, for durations) in the histogram ``name``."""
        self._telemetry.histogram(name).record(value, attributes=labels)

    def set_gauge(self, name: str, value: float, **labels: str) -> None:
        """Set the gauge ``name`` for these labels to ``value``."""
        self._telemetry.gauge(name).set(value, attributes=labels)


_process_telemetry: Telemetry | None = None
_process_lock = threading.Lock()


def setup_telemetry(service_name: str, *, enabled: bool = True) -> Telemetry:
    """Return this process's ``Telemetry``, creating it on the first call.

    The first call also makes it OpenTelemetry's global meter provider, so instrumented
    libraries (FastAPI) report into the same exposition. Later calls return the same object,
    whatever they ask for: a process has one meter provider.
    """
    global _process_telemetry  # noqa: PLW0603 -- one meter provider per process, by design
    with _process_lock:
        if _process_telemetry is None:
            _process_telemetry = Telemetry(service_name, enabled=enabled)
            if enabled:
                otel_metrics.set_meter_provider(_process_telemetry.provider)
        elif _process_telemetry.service_name != service_name:
            logger.warning(
                "telemetry already set up for another service; sharing it",
                extra={"existing": _process_telemetry.service_name, "requested": service_name},
            )
        return _process_telemetry
