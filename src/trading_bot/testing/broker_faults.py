"""Broker decorators for tests: record what reached the broker, lose answers, crash the process.

They wrap a real ``core.ports.Broker`` (the paper broker in the tests) and change nothing but the
failure they are told to cause, so the executor meets the faults a real broker connection has.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

from trading_bot.core.errors import BrokerUnavailableError
from trading_bot.core.model import Account, OrderRequest, OrderResult, Position
from trading_bot.core.ports import Broker


class _Delegating:
    """Forward every ``Broker`` call to ``inner``."""

    def __init__(self, inner: Broker) -> None:
        self.inner = inner
        self.name = inner.name

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        return await self.inner.submit_order(order)

    async def cancel_order(self, broker_order_id: str) -> None:
        await self.inner.cancel_order(broker_order_id)

    async def get_order(self, broker_order_id: str) -> OrderResult:
        return await self.inner.get_order(broker_order_id)

    async def get_order_by_client_id(self, client_order_id: str) -> OrderResult | None:
        return await self.inner.get_order_by_client_id(client_order_id)

    async def list_open_orders(self) -> list[OrderResult]:
        return await self.inner.list_open_orders()

    async def get_positions(self) -> list[Position]:
        return await self.inner.get_positions()

    async def get_account(self) -> Account:
        return await self.inner.get_account()


class FaultyBroker(_Delegating):
    """Record every submission that reached the inner broker; make chosen ones fail.

    ``lose_replies`` submissions reach the broker, then raise ``BrokerUnavailableError`` as a
    dropped connection would; ``refuse_connections`` submissions raise it without reaching it.
    """

    def __init__(
        self, inner: Broker, *, lose_replies: int = 0, refuse_connections: int = 0
    ) -> None:
        super().__init__(inner)
        self.lose_replies = lose_replies
        self.refuse_connections = refuse_connections
        self.submitted: list[OrderRequest] = []
        self.attempts = 0

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Submit, unless a fault is due (see the class docstring)."""
        self.attempts += 1
        if self.refuse_connections > 0:
            self.refuse_connections -= 1
            raise BrokerUnavailableError("connection refused (injected)")
        result = await self.inner.submit_order(order)
        self.submitted.append(order)
        if self.lose_replies > 0:
            self.lose_replies -= 1
            raise BrokerUnavailableError("connection lost before the reply (injected)")
        return result


class SlowBroker(_Delegating):
    """Hold every submission at the door while ``hold()`` is in force, as a broker slow to
    answer would; ``at_broker`` is set once one is waiting."""

    def __init__(self, inner: Broker) -> None:
        super().__init__(inner)
        self.at_broker = asyncio.Event()
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        """Hold the next submissions until ``release``."""
        self._open.clear()

    def release(self) -> None:
        """Let the held submissions through, and every later one."""
        self._open.set()

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Wait while held, then submit."""
        self.at_broker.set()
        await self._open.wait()
        return await self.inner.submit_order(order)


def kill_process() -> None:
    """Send SIGKILL to this process: it ends at once, with no cleanup, no flush and no ack."""
    os.kill(os.getpid(), signal.SIGKILL)


class ExitAfterSubmitBroker(_Delegating):
    """Kill the process right after the first order reached the inner broker.

    The crash falls between placing an order and acknowledging the message that asked for it:
    the window the executor's idempotency exists for.
    """

    def __init__(self, inner: Broker, exit_now: Callable[[], None] = kill_process) -> None:
        super().__init__(inner)
        self._exit = exit_now

    async def submit_order(self, order: OrderRequest) -> OrderResult:
        """Submit, then die."""
        result = await self.inner.submit_order(order)
        self._exit()
        return result
