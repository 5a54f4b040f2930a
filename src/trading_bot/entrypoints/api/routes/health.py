"""Service health: the last heartbeat of every service instance, and what paused trading."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from trading_bot.entrypoints.api.deps import GatewayDep, ReadScope
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES
from trading_bot.entrypoints.service_names import SERVICE_NAMES
from trading_bot.services.execution_state import AUTO_PAUSED_KEY, decode_auto_pauses

router = APIRouter(prefix="/api/health", tags=["health"], responses=ERROR_RESPONSES)


class ServiceHealthOut(BaseModel):
    """One service instance as its heartbeats show it."""

    service: str
    instance: str
    last_seen: datetime
    interval_seconds: float
    age_seconds: float = Field(description="seconds since its last heartbeat")
    status: Literal["ok", "stale"]


class AutoPauseOut(BaseModel):
    """A condition that paused new entries on its own."""

    condition: str
    since: datetime
    detail: str


class ServicesHealthOut(BaseModel):
    """Every service instance heard from, the services never heard from, and the pauses."""

    checked_at: datetime
    stale_after_intervals: float
    services: list[ServiceHealthOut]
    missing: list[str] = Field(description="services no heartbeat has come from")
    auto_paused: list[AutoPauseOut]


@router.get("/services", response_model=ServicesHealthOut)
async def services_health(
    _: ReadScope,
    gateway: GatewayDep,
    stale_after: Annotated[
        float, Query(ge=1, le=100, description="intervals of silence before a service is stale")
    ] = 3.0,
) -> ServicesHealthOut:
    """Return each service's last heartbeat (stale after ``stale_after`` intervals of silence)
    and the conditions that pause new entries automatically."""
    container = gateway.container
    now = container.clock.now()
    services = []
    for beat in gateway.health.beats():
        age = max(0.0, (now - beat.last_seen).total_seconds())
        stale = age > stale_after * beat.interval_seconds
        services.append(
            ServiceHealthOut(
                service=beat.service,
                instance=beat.instance,
                last_seen=beat.last_seen,
                interval_seconds=beat.interval_seconds,
                age_seconds=round(age, 3),
                status="stale" if stale else "ok",
            )
        )
    heard = {service.service for service in services}
    raw = await container.repositories.key_value.get(AUTO_PAUSED_KEY)
    try:
        pauses = {} if raw is None else decode_auto_pauses(raw)
    except ValueError:
        pauses = {}
    return ServicesHealthOut(
        checked_at=now,
        stale_after_intervals=stale_after,
        services=services,
        missing=[name for name in SERVICE_NAMES if name not in heard],
        auto_paused=[
            AutoPauseOut(condition=condition, since=pause.since, detail=pause.detail)
            for condition, pause in sorted(pauses.items())
        ],
    )
