"""An in-memory ``core.ports.Metrics`` that remembers what was reported, for assertions."""

from __future__ import annotations

from collections import defaultdict

Labels = frozenset[tuple[str, str]]


class RecordingMetrics:
    """Record every increment and observation; read them back by name and (partial) labels.

    >>> metrics = RecordingMetrics()
    >>> metrics.increment("articles_fetched", source="rss")
    >>> metrics.count("articles_fetched", source="rss")
    1.0
    """

    def __init__(self) -> None:
        self._counts: defaultdict[str, defaultdict[Labels, float]] = defaultdict(
            lambda: defaultdict(float)
        )
        self._observations: defaultdict[str, list[tuple[Labels, float]]] = defaultdict(list)
        self._gauges: defaultdict[str, dict[Labels, float]] = defaultdict(dict)

    def increment(self, name: str, amount: float = 1, **labels: str) -> None:
        """Add ``amount`` to the counter ``name``; a negative amount is refused as in production."""
        if amount < 0:
            raise ValueError(f"counter {name!r} cannot go down (amount {amount})")
        self._counts[name][frozenset(labels.items())] += amount

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Remember one observation of ``name``."""
        self._observations[name].append((frozenset(labels.items()), value))

    def set_gauge(self, name: str, value: float, **labels: str) -> None:
        """Remember the latest value of the gauge ``name`` for these labels."""
        self._gauges[name][frozenset(labels.items())] = value

    def gauge(self, name: str, **labels: str) -> float | None:
        """Return the gauge's value for exactly these labels, or None if it was never set."""
        return self._gauges.get(name, {}).get(frozenset(labels.items()))

    def count(self, name: str, **labels: str) -> float:
        """Return the total of ``name`` over every label set that includes ``labels``."""
        wanted = set(labels.items())
        counts: dict[Labels, float] = self._counts.get(name, {})
        return sum((total for labels_, total in counts.items() if wanted <= labels_), 0.0)

    def values(self, name: str, **labels: str) -> list[float]:
        """Return the observations of ``name`` whose labels include ``labels``, in order."""
        wanted = set(labels.items())
        return [
            value for label_set, value in self._observations.get(name, []) if wanted <= label_set
        ]

    @property
    def names(self) -> set[str]:
        """Return every metric name reported so far."""
        return set(self._counts) | set(self._observations) | set(self._gauges)
