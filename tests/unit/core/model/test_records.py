"""The records repositories return: outcomes of signals, backtest states, pages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from trading_bot.core.model import (
    BacktestStatus,
    OrderStatus,
    Page,
    SignalOutcome,
    WeightChange,
)


@pytest.mark.parametrize(
    "status", [OrderStatus.FILLED, OrderStatus.REJECTED, OrderStatus.CANCELLED]
)
def test_signal_outcome_when_order_status_is_final_maps_to_the_same_name(
    status: OrderStatus,
) -> None:
    assert SignalOutcome.from_status(status).value == status.value


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED])
def test_signal_outcome_when_order_is_still_open_is_refused(status: OrderStatus) -> None:
    with pytest.raises(ValueError, match="not a final"):
        SignalOutcome.from_status(status)


def test_backtest_status_when_succeeded_or_failed_is_final() -> None:
    finals = {status for status in BacktestStatus if status.is_final}

    assert finals == {BacktestStatus.SUCCEEDED, BacktestStatus.FAILED}


def test_page_when_unpacked_gives_items_and_total() -> None:
    items, total = Page(["a", "b"], 7)

    assert (items, total) == (["a", "b"], 7)


def test_weight_change_when_weight_is_above_one_is_refused() -> None:
    with pytest.raises(ValidationError):
        WeightChange(strategy="momentum", new_weight=1.2)
