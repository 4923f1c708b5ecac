"""`/healthz` and `/metrics` on the bot's web server (issue 18 point 7).

- `/healthz`: 200 with a short JSON when the database answers (and, in front of workers, at
  least one worker runs); 503 otherwise: what a load balancer or systemd's watchdog asks.
- `/metrics`: Prometheus' text format. The counters of every process (`bot.metrics`; the
  workers' through prometheus_client's multiprocess directory), and what the database knows,
  read at each scrape: inbox depth and the oldest waiting message per channel, the outbox by
  status, the age of the oldest unsent notice, the catalogue in use.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from handlers.context import Services
from storage.base import OutboxStatus

log = logging.getLogger(__name__)


async def database_figures(services: Services) -> list[GaugeMetricFamily | InfoMetricFamily]:
    storage, now = services.storage, services.clock.now()
    depth = await storage.workers.inbox_depth()
    outbox = await storage.outbox.outbox_counts()
    oldest = await storage.outbox.oldest_unsent()
    waiting = GaugeMetricFamily(
        "motcua_inbox_waiting", "Messages received and not handled yet", labels=["channel"]
    )
    age = GaugeMetricFamily(
        "motcua_inbox_oldest_seconds", "Age of the oldest message waiting", labels=["channel"]
    )
    for channel in sorted({"telegram", "zalo", *depth}):
        count, first = depth.get(channel, (0, None))
        waiting.add_metric([channel], count)
        age.add_metric([channel], (now - first).total_seconds() if first else 0.0)
    queued = GaugeMetricFamily("motcua_outbox", "Outbox messages by status", labels=["status"])
    for status in OutboxStatus:
        queued.add_metric([status.value], outbox.get(status, 0))
    unsent = GaugeMetricFamily(
        "motcua_outbox_oldest_unsent_seconds",
        "Age of the oldest notice due and not sent yet (0 when none)",
        value=(now - oldest).total_seconds() if oldest else 0.0,
    )
    knowledge = services.knowledge
    catalogue = InfoMetricFamily("motcua_catalogue", "The catalogue in use")
    catalogue.add_metric([], {"version": knowledge.version or "unknown"})
    procedures = GaugeMetricFamily(
        "motcua_catalogue_procedures", "Procedures in the catalogue", value=len(knowledge.catalogue)
    )
    return [waiting, age, queued, unsent, catalogue, procedures]


def process_figures(metrics_dir: Path | None) -> bytes:
    """The counters: the workers' (multiprocess directory) or this process's own."""
    if metrics_dir is None:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(metrics_dir))
    return generate_latest(registry)


class _Fixed:
    def __init__(self, families: list[GaugeMetricFamily | InfoMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily | InfoMetricFamily]:
        return self.families


def routes(
    services: Services,
    metrics_dir: Path | None = None,
    workers_alive: Callable[[], int] | None = None,
) -> list[BaseRoute]:
    async def healthz(_request: Request) -> Response:
        body: dict[str, object] = {}
        healthy = True
        try:
            depth = await services.storage.workers.inbox_depth()
            body["database"] = "ok"
            body["inbox"] = {channel: count for channel, (count, _) in depth.items()}
        except Exception as error:
            log.error("health check: database unreachable: %s", error)
            body["database"] = "unreachable"
            healthy = False
        if workers_alive is not None:
            body["workers"] = alive = workers_alive()
            healthy = healthy and alive > 0
        body["status"] = "ok" if healthy else "failing"
        return Response(
            json.dumps(body),
            status_code=200 if healthy else 503,
            media_type="application/json",
        )

    async def metrics(_request: Request) -> Response:
        registry = CollectorRegistry()
        try:
            registry.register(_Fixed(await database_figures(services)))
        except Exception as error:
            log.error("metrics: database figures unavailable: %s", error)
        text = process_figures(metrics_dir) + generate_latest(registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
