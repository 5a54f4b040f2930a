"""One error body for every failure: ``{"error": {"code", "message", "fields"?}}``.

Routes raise ``ApiError``; validation errors, HTTP errors from the framework and our own
exception tree are translated here, so a client handles one shape whatever went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from trading_bot.core.errors import (
    ConfigurationError,
    DataError,
    TemporaryError,
)

logger = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    field: str = Field(description="dotted location, e.g. body.ticker or query.limit")
    message: str


class ErrorDetail(BaseModel):
    """What went wrong, for people (message) and for programs (code)."""

    code: str = Field(description="stable, machine-readable, e.g. invalid_request")
    message: str
    fields: list[FieldError] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An expected refusal: a status code, a stable code and a message for the client."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def unauthorized(message: str = "a valid access token is required") -> ApiError:
    """Return the 401 every unauthenticated request gets."""
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    fields: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Return a JSON response carrying the error body."""
    body = ErrorBody(
        error=ErrorDetail(code=code, message=message, fields=list(fields) if fields else None)
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status_code,
        headers=dict(headers or {}),
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, expired or invalid token"},
    403: {"model": ErrorBody, "description": "the token's scope does not allow this"},
    422: {"model": ErrorBody, "description": "invalid input; the fields are named"},
}
"""Responses every authenticated route documents (Any: FastAPI's ``responses`` mapping)."""

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _location(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    fields = [
        FieldError(field=_location(item.get("loc", ())), message=str(item.get("msg", "invalid")))
        for item in exc.errors()
    ]
    named = ", ".join(field.field for field in fields)
    return error_response(422, "invalid_request", f"invalid input: {named}", fields=fields)


def _http_response(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 400:
        # The framework's own 400 is a body it could not parse (not JSON, not UTF-8): invalid
        # input like any other, answered as such.
        return error_response(422, "invalid_request", f"invalid input: {exc.detail}")
    code = _STATUS_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # The router names only the first route that matched the path; list them all.
        headers["Allow"] = ", ".join(allowed_methods(request))
    return error_response(exc.status_code, code, message, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Return every method some route of the app accepts at the request's path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(route.methods or ())
    return sorted(methods)


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, headers=exc.headers)
    if isinstance(exc, RequestValidationError):
        return _validation_response(exc)
    if isinstance(exc, HTTPException):
        return _http_response(request, exc)
    if isinstance(exc, DataError):
        return error_response(422, "invalid_request", str(exc))
    if isinstance(exc, TemporaryError):
        logger.warning(
            "dependency unavailable", extra={"path": request.url.path, "error": type(exc).__name__}
        )
        return error_response(
            503,
            "unavailable",
            f"{type(exc).__name__}: a dependency is unavailable; try again shortly",
            headers={"Retry-After": "5"},
        )
    logger.error("request failed", extra={"path": request.url.path, "error": type(exc).__name__})
    return error_response(503, "misconfigured", "the server is misconfigured; see its log")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the app can raise answer with ``ErrorBody``."""
    for kind in (
        ApiError,
        RequestValidationError,
        HTTPException,
        DataError,
        TemporaryError,
        ConfigurationError,
    ):
        app.add_exception_handler(kind, _handle)
