"""`trading-bot api`: the api-gateway's OpenAPI schema, for the dashboard's typed client."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trading_bot.entrypoints.cli_context import settings_of

api_app = typer.Typer(help="The api-gateway: its OpenAPI schema.", no_args_is_help=True)


@api_app.command("openapi")
def openapi(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(help="write here instead of standard output")] = None,
) -> None:
    """Write the API's OpenAPI schema as JSON (sorted keys, stable between runs)."""
    # Imported here so other commands start without the web framework loaded.
    from trading_bot.entrypoints.api.app import create_app, openapi_document  # noqa: PLC0415
    from trading_bot.entrypoints.telemetry import Telemetry  # noqa: PLC0415

    app = create_app(
        telemetry=Telemetry("openapi", enabled=False),
        api=settings_of(ctx).api,
        dashboard_dist=None,
    )
    document = openapi_document(app)
    if out is None:
        typer.echo(document, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    typer.echo(f"wrote {out}")
