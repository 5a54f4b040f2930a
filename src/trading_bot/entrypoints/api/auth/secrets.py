"""Opaque secrets: generating tokens, hashing them for storage, and the JWT signing key.

Only hashes are stored, so a copy of the database cannot be replayed as credentials.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from trading_bot.core.errors import ConfigurationError
from trading_bot.entrypoints.settings import MIN_JWT_SECRET_CHARS, Settings

SECRET_FILE_NAME = "jwt-secret"  # noqa: S105 -- a file name, not a secret
"""Where the embedded default keeps its generated signing key, under ``data_dir``."""

API_TOKEN_PREFIX = "tbk_"  # noqa: S105 -- a public prefix, not a secret
REFRESH_TOKEN_PREFIX = "tbr_"  # noqa: S105 -- a public prefix, not a secret
INVITATION_PREFIX = "tbi_"


def new_token(prefix: str) -> str:
    """Return a fresh random token (256 bits) with a prefix saying what it is for."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def signing_secret(settings: Settings) -> str:
    """Return the JWT signing key: the configured one, else one generated once per data dir.

    Settings already refuse a missing key in production, so a generated key only ever serves
    the embedded default. It is written with 0600 permissions and reused on every start, so
    sessions survive a restart.
    """
    configured = settings.api.jwt_secret
    if configured is not None:
        return configured.get_secret_value()
    return load_or_create_secret(settings.data_dir / SECRET_FILE_NAME)


def load_or_create_secret(path: Path) -> str:
    """Return the key stored at ``path``, creating it (mode 0600) if it does not exist."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)  # another process created it first
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return secret


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_JWT_SECRET_CHARS:
        raise ConfigurationError(
            f"{path} holds a signing key shorter than {MIN_JWT_SECRET_CHARS} characters; "
            "delete it to have a new one generated"
        )
    return secret
