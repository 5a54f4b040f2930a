"""Helpers shared by the repositories: dialect-specific inserts, paging, validation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult

from trading_bot.core.errors import DataError

MAX_PAGE_SIZE = 1_000
"""The most rows one page may hold."""

CHUNK_SIZE = 500
"""Rows or keys sent per statement: well under both databases' bound-parameter limits."""

Insert = postgresql.Insert | sqlite.Insert
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def insert_for(dialect: str, entity: Any) -> Insert:
    """Return an INSERT with ON CONFLICT support for the database ``dialect`` names.

    Any: ``entity`` is a mapped class or table, which SQLAlchemy types loosely.
    """
    if dialect == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)


def affected(result: Result[Any]) -> int:
    """Return how many rows an INSERT, UPDATE or DELETE changed."""
    # Any: the rows of a DML result carry no columns.
    return max(cast(CursorResult[Any], result).rowcount, 0)


def check_page(limit: int, offset: int) -> None:
    """Refuse a page size outside 1..MAX_PAGE_SIZE or a negative offset."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise DataError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    if offset < 0:
        raise DataError(f"offset must not be negative, got {offset}")


def build(model: type[M], **fields: Any) -> M:
    """Return ``model(**fields)``, turning a validation failure into ``DataError``.

    Any: the fields are whatever the model validates.
    """
    try:
        return model(**fields)
    except ValidationError as error:
        raise DataError(f"invalid {model.__name__}: {error}") from error


def chunks(items: Sequence[T], size: int = CHUNK_SIZE) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
