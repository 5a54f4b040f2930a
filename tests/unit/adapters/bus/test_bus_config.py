"""Bus configuration: safe defaults, unsafe values refused at start-up."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from trading_bot.adapters.bus.config import (
    MemoryBusConfig,
    RedisBusConfig,
    default_consumer_name,
)


def test_bus_config_defaults_match_the_documented_values() -> None:
    config = RedisBusConfig()

    assert (config.claim_idle_ms, config.max_deliveries, config.maxlen) == (30_000, 5, 100_000)
    assert (config.batch_size, config.block_ms, config.dedupe_ttl_s) == (100, 1_000, 86_400)
    assert config.prefix == "trading-bot:"
    assert MemoryBusConfig().max_deliveries == 5


def test_bus_config_documents_every_field() -> None:
    for model in (MemoryBusConfig, RedisBusConfig):
        undocumented = [name for name, info in model.model_fields.items() if not info.description]
        assert undocumented == [], model.__name__


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"dedupe_ttl_s": 10, "claim_idle_ms": 5_000}, "dedupe_ttl_s must outlast"),
        ({"backoff_base_s": 2.0, "backoff_cap_s": 1.0}, "backoff_cap_s must be at least"),
        ({"max_deliveries": 0}, "greater than or equal to 1"),
        ({"client_name": "has space"}, "should match pattern"),
        ({"batch": 10}, "Extra inputs are not permitted"),
    ],
    ids=["dedupe-ttl", "backoff", "deliveries", "client-name", "unknown-field"],
)
def test_redis_bus_config_when_values_are_unsafe_refuses_them(
    values: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        RedisBusConfig.model_validate(values)


def test_bus_config_is_frozen() -> None:
    config = MemoryBusConfig()

    with pytest.raises(ValidationError, match="frozen"):
        config.maxlen = 10  # type: ignore[misc]


def test_default_consumer_name_when_called_twice_names_this_process_uniquely() -> None:
    first, second = default_consumer_name(), default_consumer_name()

    assert first != second
    assert f"-{os.getpid()}-" in first
