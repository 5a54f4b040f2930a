"""The strategy registry: building enabled strategies by name, with clear configuration errors."""

from __future__ import annotations

import pytest
from pydantic import Field

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.market_state import MarketSnapshot
from trading_bot.core.model import Direction, SentimentContext, StrategyOpinion
from trading_bot.core.ports import Clock
from trading_bot.core.strategies.base import StrategyParams, required_indicators
from trading_bot.core.strategies.mean_reversion import MeanReversionStrategy
from trading_bot.core.strategies.momentum import MomentumStrategy
from trading_bot.core.strategies.news_driven import NewsDrivenStrategy
from trading_bot.core.strategies.registry import StrategyRegistry, build_strategies, registry
from trading_bot.testing.bar_series import bars_from_closes
from trading_bot.testing.signals import ScriptedStrategy, evaluate_over


class AlwaysLongParams(StrategyParams):
    strength: float = Field(default=0.5, ge=0, le=1)


class AlwaysLong:
    """What a user writes in one file to add a strategy."""

    name = "always_long"
    indicators = ()

    def __init__(self, params: AlwaysLongParams) -> None:
        self.params = params

    def evaluate(
        self,
        ticker: str,
        market: MarketSnapshot,
        sentiment: SentimentContext | None,
        clock: Clock,
    ) -> StrategyOpinion | None:
        return StrategyOpinion(
            strategy=self.name, direction=Direction.LONG, strength=self.params.strength
        )


def test_registry_finds_the_built_in_strategies_by_name() -> None:
    assert {"momentum", "mean_reversion", "news_driven"} <= set(registry.names())


def test_build_strategies_builds_each_enabled_name_in_order_with_its_params() -> None:
    strategies = build_strategies(
        ["news_driven", "momentum", "mean_reversion"], {"momentum": {"period": 10}}
    )

    assert [type(s) for s in strategies] == [
        NewsDrivenStrategy,
        MomentumStrategy,
        MeanReversionStrategy,
    ]
    assert strategies[1].params == MomentumStrategy().params.model_copy(update={"period": 10})
    assert [spec.key for spec in required_indicators(strategies)] == [
        "sma(close,10)",
        "sma(volume,20)",
        "rsi(close,14)",
    ]


def test_build_strategies_when_a_name_is_unknown_lists_the_available_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown strategy 'momentun'.*momentum"):
        build_strategies(["momentun"])


def test_build_strategies_when_a_param_is_invalid_names_the_strategy_and_field() -> None:
    with pytest.raises(ConfigurationError, match=r"'momentum'.*period.*greater than or equal"):
        build_strategies(["momentum"], {"momentum": {"period": 1}})


def test_build_strategies_when_a_param_is_unknown_names_it() -> None:
    with pytest.raises(ConfigurationError, match=r"'mean_reversion'.*perod"):
        build_strategies(["mean_reversion"], {"mean_reversion": {"perod": 10}})


def test_build_strategies_when_params_name_a_strategy_not_enabled_refuses_them() -> None:
    with pytest.raises(ConfigurationError, match="not enabled: news_driven"):
        build_strategies(["momentum"], {"news_driven": {"fresh_hours": 2}})


def test_build_strategies_when_a_name_repeats_refuses_it() -> None:
    with pytest.raises(ConfigurationError, match="more than once: momentum"):
        build_strategies(["momentum", "momentum"])


def test_registry_when_a_user_registers_a_strategy_builds_it_by_name() -> None:
    local = StrategyRegistry()
    local.register("always_long", AlwaysLongParams)(AlwaysLong)

    (strategy,) = local.build(["always_long"], {"always_long": {"strength": 0.8}})

    opinion = evaluate_over(strategy, bars_from_closes([10.0]))[0]
    assert opinion is not None
    assert opinion.strength == 0.8


def test_registry_when_a_name_is_taken_by_another_factory_refuses_it() -> None:
    local = StrategyRegistry()
    local.add("always_long", AlwaysLong, AlwaysLongParams)

    with pytest.raises(ConfigurationError, match="already registered"):
        local.add("always_long", MomentumStrategy, AlwaysLongParams)


@pytest.mark.parametrize("name", ["Momentum", "my-strategy", "", "1st"])
def test_registry_when_a_name_is_malformed_refuses_it(name: str) -> None:
    with pytest.raises(ConfigurationError, match="lower-case"):
        StrategyRegistry().add(name, AlwaysLong, AlwaysLongParams)


def test_registry_when_a_strategy_calls_itself_by_another_name_refuses_it() -> None:
    local = StrategyRegistry()
    local.add("other", lambda params: ScriptedStrategy("not_other"), AlwaysLongParams)

    with pytest.raises(ConfigurationError, match="calls itself 'not_other'"):
        local.build(["other"])
