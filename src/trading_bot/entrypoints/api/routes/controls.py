"""Trading controls: pause and resume new entries, close a position, read the status.

The pause flag lives in the key-value store under ``control:paused`` ("true"/"false"), which
the trade executor reads on every signal; the kill switch is reported from
``control:kill_switch``, which the executor sets when the day's loss limit trips it. Who
changed what, and when, goes to the audit log.
"""

from __future__ import annotations

from fastapi import APIRouter

from trading_bot.adapters.storage.queries import ControlState
from trading_bot.core.events import ClosePosition
from trading_bot.entrypoints.api.container import ApiContainer
from trading_bot.entrypoints.api.deps import ControlScope, GatewayDep, ReadScope
from trading_bot.entrypoints.api.errors import ERROR_RESPONSES
from trading_bot.entrypoints.api.schemas.controls import (
    ClosePositionAccepted,
    ClosePositionIn,
    StatusOut,
)
from trading_bot.entrypoints.api.schemas.portfolio import TradingStatus

PAUSED_KEY = "control:paused"
KILL_SWITCH_KEY = "control:kill_switch"
PAUSE_ACTION = "controls.pause"
RESUME_ACTION = "controls.resume"
CLOSE_ACTION = "controls.close_position"

router = APIRouter(prefix="/api/controls", tags=["controls"], responses=ERROR_RESPONSES)


CONTROL_KEYS = (PAUSED_KEY, KILL_SWITCH_KEY)
CONTROL_ACTIONS = (PAUSE_ACTION, RESUME_ACTION)


def status_of(control: ControlState) -> StatusOut:
    """Return the trading status the flags say, with who last paused or resumed, and when."""
    paused = control.values.get(PAUSED_KEY) == "true"
    kill_switch = control.values.get(KILL_SWITCH_KEY) == "true"
    status = TradingStatus.ACTIVE
    if kill_switch:
        status = TradingStatus.KILL_SWITCH
    elif paused:
        status = TradingStatus.PAUSED
    change = control.last_change
    return StatusOut(
        status=status,
        paused=paused,
        kill_switch=kill_switch,
        since=None if change is None else change.timestamp,
        by=None if change is None else change.actor,
    )


async def read_status(container: ApiContainer) -> StatusOut:
    """Return the trading status with who last paused or resumed, and when."""
    return status_of(await container.queries.control_state(CONTROL_KEYS, CONTROL_ACTIONS))


@router.get("/status", response_model=StatusOut)
async def status(_: ReadScope, gateway: GatewayDep) -> StatusOut:
    """Return whether new entries are allowed (active), paused, or stopped by the kill switch."""
    return await read_status(gateway.container)


@router.post("/pause", response_model=StatusOut)
async def pause(principal: ControlScope, gateway: GatewayDep) -> StatusOut:
    """Stop new entries (exits, stops and manual closes still go through)."""
    container = gateway.container
    await container.repositories.key_value.set(PAUSED_KEY, "true")
    await container.repositories.audit.add(principal.actor, PAUSE_ACTION)
    gateway.portfolio_cache.invalidate()
    return await read_status(container)


@router.post("/resume", response_model=StatusOut)
async def resume(principal: ControlScope, gateway: GatewayDep) -> StatusOut:
    """Allow new entries again."""
    container = gateway.container
    await container.repositories.key_value.set(PAUSED_KEY, "false")
    await container.repositories.audit.add(principal.actor, RESUME_ACTION)
    gateway.portfolio_cache.invalidate()
    return await read_status(container)


@router.post("/close-position", response_model=ClosePositionAccepted, status_code=202)
async def close_position(
    body: ClosePositionIn, principal: ControlScope, gateway: GatewayDep
) -> ClosePositionAccepted:
    """Ask the executor to close the whole position in a ticker through its normal path."""
    container = gateway.container
    command = ClosePosition(
        occurred_at=container.clock.now(), ticker=body.ticker, requested_by=principal.actor
    )
    await container.bus.publish(command)
    await container.repositories.audit.add(
        principal.actor, CLOSE_ACTION, {"ticker": body.ticker, "command_id": str(command.event_id)}
    )
    return ClosePositionAccepted(accepted=True, ticker=body.ticker, command_id=command.event_id)
