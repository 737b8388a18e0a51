"""`/metrics` in Prometheus's text format, through prometheus-client.

Two kinds of figures: what the server measures as requests pass (webhook latency per platform, events
handled per platform and HTTP status), kept in prometheus-client's own Histogram and Counter; and what
the application reports when asked (outbox rows by status, sent, failed, retried …: `MetricsSource`, a
flat `name` or `name{label="value"}` → number map), turned into metric families at each scrape. Names
ending in `_total` are counters, the others gauges.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

MetricsSource = Callable[[], Awaitable[dict[str, float]]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Webhooks must answer within a platform's patience (Slack: 3 s), so the buckets are fine below it.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?$")
_LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"')


class _Snapshot:
    """A collector over the last values the application reported (set just before each scrape)."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def collect(self) -> Iterable[Metric]:
        families: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        for sample, value in self.values.items():
            match = _SAMPLE.match(sample)
            if match is None:
                continue
            labels = {m["key"]: m["value"] for m in _LABEL.finditer(match["labels"] or "")}
            families[match["name"]].append((labels, value))
        for name, samples in sorted(families.items()):
            keys = sorted({key for labels, _ in samples for key in labels})
            family: CounterMetricFamily | GaugeMetricFamily
            if name.endswith("_total"):
                family = CounterMetricFamily(name.removesuffix("_total"), _help(name), labels=keys)
            else:
                family = GaugeMetricFamily(name, _help(name), labels=keys)
            for labels, value in samples:
                family.add_metric([labels.get(key, "") for key in keys], value)
            yield family


def _help(name: str) -> str:
    return name.removeprefix("oasis_").removesuffix("_total").replace("_", " ")


class Metrics:
    """The server's registry: request figures measured here, application figures read at each scrape."""

    def __init__(self, source: MetricsSource) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._source = source
        self._snapshot = _Snapshot()
        self.registry.register(self._snapshot)
        self.latency = Histogram("oasis_webhook_seconds", "Time from a platform's request to our answer",
                                 ["platform"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.events = Counter("oasis_events_handled", "Platform requests answered, by HTTP status",
                              ["platform", "status"], registry=self.registry)

    def timed(self, platform: str, handler: Handler) -> Handler:
        """`handler`, measured: its latency and its answer's status count under `platform`."""
        latency = self.latency.labels(platform)
        counted: dict[int, Counter] = {}  # status → its counter: finding a labelled child costs more than counting

        async def measured(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            finally:
                latency.observe(time.perf_counter() - started)
                counter = counted.get(status)
                if counter is None:
                    counter = counted[status] = self.events.labels(platform, str(status))
                counter.inc()

        return measured

    async def view(self, _request: web.Request) -> web.Response:
        self._snapshot.values = await self._source()
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
