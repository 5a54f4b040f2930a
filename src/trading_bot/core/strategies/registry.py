"""The strategy registry: name -> (factory, parameters model), and building the enabled strategies.

A strategy is one module in this package that decorates its class with ``@register_strategy``;
modules here are discovered on first use, so adding a file and enabling its name in settings is
all it takes. Strategies defined elsewhere register the same way once their module is imported.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from pydantic import ValidationError

from trading_bot.core.errors import ConfigurationError
from trading_bot.core.strategies.base import Strategy, StrategyParams

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_NOT_STRATEGIES = frozenset({"base", "registry", "sandbox"})

F = TypeVar("F", bound=Callable[..., Strategy])


def describe_validation_error(error: ValidationError) -> str:
    """Return a one-line account of what is wrong, naming each offending field."""
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(parameters)"
        problems.append(f"{field}: {item['msg']} (got {item.get('input')!r})")
    return "; ".join(problems)


@dataclass(frozen=True, slots=True)
class StrategyEntry:
    """A registered strategy: its factory and the model that validates its parameters."""

    name: str
    factory: Callable[..., Strategy]
    params_model: type[StrategyParams]

    def build(self, raw: Mapping[str, object] | None = None) -> Strategy:
        """Validate ``raw`` parameters (defaults where absent) and build the strategy.

        Raises:
            ConfigurationError: a parameter is unknown or invalid; the message names the field.
        """
        try:
            params = self.params_model.model_validate(dict(raw or {}))
        except ValidationError as exc:
            raise ConfigurationError(
                f"invalid parameters for strategy {self.name!r}: {describe_validation_error(exc)}"
            ) from exc
        strategy = self.factory(params)
        if strategy.name != self.name:
            raise ConfigurationError(
                f"strategy registered as {self.name!r} calls itself {strategy.name!r}"
            )
        return strategy


class StrategyRegistry:
    """Strategies by name. ``discover`` names a package whose modules are imported on first use."""

    def __init__(self, *, discover: str | None = None) -> None:
        self._entries: dict[str, StrategyEntry] = {}
        self._discover = discover

    def register(self, name: str, params_model: type[StrategyParams]) -> Callable[[F], F]:
        """Return a decorator that registers a strategy class (or factory) under ``name``."""

        def decorate(factory: F) -> F:
            self.add(name, factory, params_model)
            return factory

        return decorate

    def add(
        self, name: str, factory: Callable[..., Strategy], params_model: type[StrategyParams]
    ) -> None:
        """Register ``factory(params) -> Strategy`` under ``name``.

        Raises:
            ConfigurationError: the name is malformed or already taken by another factory.
        """
        if not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"strategy name {name!r} must be lower-case letters, digits and underscores"
            )
        existing = self._entries.get(name)
        if existing is not None and existing.factory is not factory:
            raise ConfigurationError(f"strategy name {name!r} is already registered")
        self._entries[name] = StrategyEntry(name, factory, params_model)

    def names(self) -> tuple[str, ...]:
        """Return the registered names, sorted."""
        self._discover_once()
        return tuple(sorted(self._entries))

    def entry(self, name: str) -> StrategyEntry:
        """Return the entry registered under ``name``.

        Raises:
            ConfigurationError: no strategy has that name; the message lists the known ones.
        """
        self._discover_once()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise ConfigurationError(f"unknown strategy {name!r}; available: {known}") from None

    def build(
        self,
        names: Sequence[str],
        params: Mapping[str, Mapping[str, object]] | None = None,
    ) -> list[Strategy]:
        """Build the strategies enabled by ``names``, each with its parameters from ``params``.

        Raises:
            ConfigurationError: an unknown or repeated name, parameters for a strategy that is
                not enabled, or invalid parameters; the message says which.
        """
        params = params or {}
        repeated = sorted({name for name in names if list(names).count(name) > 1})
        if repeated:
            raise ConfigurationError(f"strategies enabled more than once: {', '.join(repeated)}")
        stray = sorted(set(params) - set(names))
        if stray:
            raise ConfigurationError(
                f"parameters given for strategies that are not enabled: {', '.join(stray)}"
            )
        entries = [self.entry(name) for name in names]
        return [entry.build(params.get(entry.name)) for entry in entries]

    def _discover_once(self) -> None:
        if self._discover is None:
            return
        package_name, self._discover = self._discover, None
        package = importlib.import_module(package_name)
        for module in pkgutil.iter_modules(package.__path__):
            if module.name in _NOT_STRATEGIES or module.name.startswith("_"):
                continue
            importlib.import_module(f"{package_name}.{module.name}")


registry = StrategyRegistry(discover="trading_bot.core.strategies")
"""The registry of every strategy in this package and any registered from outside."""


def register_strategy(name: str, params_model: type[StrategyParams]) -> Callable[[F], F]:
    """Register a strategy class in the default registry: ``@register_strategy("x", XParams)``."""
    return registry.register(name, params_model)


def build_strategies(
    names: Sequence[str], params: Mapping[str, Mapping[str, object]] | None = None
) -> list[Strategy]:
    """Build the enabled strategies from the default registry (see ``StrategyRegistry.build``)."""
    return registry.build(names, params)
