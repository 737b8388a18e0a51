"""The one aiohttp application: health, metrics, and whatever webhook routes the composition root mounts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from adapters.web.metrics import Handler, Metrics

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]
HEALTH_TIMEOUT = 1.5  # seconds: a hung database must make /healthz say 503, not hang the prober


def build_web_app(
    health: Check, metrics: Metrics, routes: list[tuple[str, str, Handler]] | None = None
) -> web.Application:
    async def healthz(_request: web.Request) -> web.Response:
        try:
            await asyncio.wait_for(health(), HEALTH_TIMEOUT)
        except Exception as exc:
            log.warning("health check failed: %r", exc)
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics.view)
    for method, path, handler in routes or []:
        app.router.add_route(method, path, handler)
    return app


async def start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the port actually bound (port 0 picks a free one)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])
