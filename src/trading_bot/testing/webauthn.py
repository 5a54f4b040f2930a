"""A software passkey authenticator for tests: real ES256 keys, real CBOR, real signatures.

It answers the options a relying party sends exactly as a browser plus authenticator would
(``PublicKeyCredential.toJSON()`` shapes), with ``none`` attestation. The origin, the RP id and
the signature counter can be set per call, to exercise every refusal a server must make.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_USER_PRESENT = 0x01
_USER_VERIFIED = 0x04
_ATTESTED_DATA = 0x40
_AAGUID = bytes(16)


def b64url(data: bytes) -> str:
    """Return ``data`` base64url-encoded without padding (WebAuthn's JSON encoding)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Decode unpadded base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftwareAuthenticator:
    """One passkey: an EC P-256 key pair, a credential id and a signature counter.

    ``sign_count`` is the counter the next assertion will carry minus one: each
    ``authenticate`` increments it first, as hardware does. Set it lower to replay an old
    counter (a cloned authenticator).
    """

    def __init__(
        self,
        *,
        origin: str = "http://localhost:8000",
        rp_id: str | None = None,
        sign_count: int = 0,
        credential_id: bytes | None = None,
    ) -> None:
        self.origin = origin
        self.rp_id = rp_id
        self.sign_count = sign_count
        self.credential_id = credential_id or os.urandom(32)
        self.user_handle: bytes | None = None
        self._key = ec.generate_private_key(ec.SECP256R1())

    def register(
        self,
        options: Mapping[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.create()`` options with a new credential (JSON).

        Any: WebAuthn options and responses are JSON objects of mixed values.
        """
        rp = options.get("rp", {})
        user = options.get("user", {})
        self.user_handle = from_b64url(str(user.get("id", "")))
        chosen_rp = rp_id or self.rp_id or str(rp.get("id", "localhost"))
        client_data = self._client_data(
            "webauthn.create", str(options["challenge"]), origin or self.origin
        )
        flags = _USER_PRESENT | _ATTESTED_DATA | (_USER_VERIFIED if user_verified else 0)
        attested = (
            _AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_public_key()
        )
        auth_data = self._auth_data(chosen_rp, flags, self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def authenticate(
        self,
        options: Mapping[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get()`` options with a signed assertion (JSON).

        Any: WebAuthn options and responses are JSON objects of mixed values.
        """
        chosen_rp = rp_id or self.rp_id or str(options.get("rpId", "localhost"))
        self.sign_count += 1
        client_data = self._client_data(
            "webauthn.get", str(options["challenge"]), origin or self.origin
        )
        flags = _USER_PRESENT | (_USER_VERIFIED if user_verified else 0)
        auth_data = self._auth_data(chosen_rp, flags, self.sign_count)
        signature = self._key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = b64url(self.user_handle)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode("utf-8")

    @staticmethod
    def _auth_data(rp_id: str, flags: int, sign_count: int) -> bytes:
        rp_hash = hashlib.sha256(rp_id.encode("utf-8")).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", sign_count)

    def _cose_public_key(self) -> bytes:
        numbers = self._key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
