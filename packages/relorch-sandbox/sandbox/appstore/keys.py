"""Test API keys shaped like App Store Connect's: a P-256 key pair with a key id and issuer id.

    key_id, issuer_id, private_pem, public_pem = new_api_key()
    SandboxControl(url).asc_register_key(key_id, issuer_id, public_pem)

`private_pem` is PKCS#8, like the `.p8` file Apple hands out (AuthKey_<key id>.p8).
"""

from __future__ import annotations

import secrets
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["new_api_key"]

_KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def new_api_key(
    *, key_id: str | None = None, issuer_id: str | None = None
) -> tuple[str, str, str, str]:
    """A fresh ES256 key: (key_id, issuer_id, private_pem, public_pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    kid = key_id or "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(10))
    return kid, issuer_id or str(uuid.uuid4()), private_pem, public_pem
