"""Serve the built dashboard (``dashboard/dist``) at ``/``, with a fallback for client routes.

A path the API owns (``/api``, ``/auth``, ``/ws``, ``/health``, ``/metrics``, the docs) is never
answered with the dashboard: an unknown API path stays a 404, not an HTML page.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DEFAULT_DIST: Final = Path(__file__).resolve().parents[4] / "dashboard" / "dist"
"""Where ``make dashboard-build`` writes the dashboard: ``<repository>/dashboard/dist``."""

RESERVED_PREFIXES: Final = frozenset(
    {"api", "auth", "ws", "health", "metrics", "docs", "redoc", "openapi.json"}
)
"""First path segments that belong to the API and are never answered with the dashboard."""

NOT_BUILT_MESSAGE: Final = (
    "The dashboard has not been built. Run `make dashboard-build` (or `make run`), then reload."
)

_IMMUTABLE: Final = "public, max-age=31536000, immutable"
_REVALIDATE: Final = "no-cache"


class DashboardFiles(StaticFiles):
    """Static files of a single-page app: unknown client routes get ``index.html``.

    A missing file with an extension (``/assets/gone.js``) stays a 404, so a stale cached page
    does not load HTML as a script; hashed assets are cached for a year, ``index.html`` never.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Return the file at ``path``, ``index.html`` for client routes, or raise a 404."""
        first_segment = path.split(os.sep, 1)[0]
        if first_segment in RESERVED_PREFIXES:
            raise HTTPException(status_code=404)
        if not self._index_exists():
            if scope["method"] not in ("GET", "HEAD"):
                raise HTTPException(status_code=404)
            return PlainTextResponse(NOT_BUILT_MESSAGE, status_code=503)
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or _looks_like_file(path):
                raise
        return await super().get_response("index.html", scope)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """Return the file with a cache policy: immutable for hashed assets, else revalidate."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        hashed = Path(full_path).parent.name == "assets"
        response.headers["Cache-Control"] = _IMMUTABLE if hashed else _REVALIDATE
        return response

    async def check_config(self) -> None:
        """Check the directory only once it exists: before the build, ``/`` explains instead."""
        if self._index_exists():
            await super().check_config()

    def _index_exists(self) -> bool:
        return self.directory is not None and Path(self.directory, "index.html").is_file()


def _looks_like_file(path: str) -> bool:
    return "." in Path(path).name


def mount_dashboard(app: FastAPI, dist_dir: Path = DEFAULT_DIST) -> None:
    """Serve the dashboard from ``dist_dir`` at ``/``; call after every API route is added.

    Until the dashboard is built, ``/`` answers 503 with the command that builds it.
    """
    app.mount("/", DashboardFiles(directory=dist_dir, html=True, check_dir=False), name="dashboard")
