"""Private keys parsed once per process: a token signer built for every task reuses the key."""

from __future__ import annotations

import hashlib
import threading

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key

__all__ = ["private_key"]

_KEYS: dict[bytes, PrivateKeyTypes] = {}
_GUARD = threading.Lock()


def private_key(pem: str, what: str) -> PrivateKeyTypes:
    """The key in `pem`, parsed once (cached by a digest, never by the text); ValueError naming
    `what` when it is not a PEM private key — the loader's own message is dropped, so nothing
    about the key text travels on."""
    digest = hashlib.sha256(pem.encode()).digest()
    with _GUARD:
        key = _KEYS.get(digest)
    if key is not None:
        return key
    try:
        loaded = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(f"{what} is not a PEM private key") from None
    with _GUARD:
        return _KEYS.setdefault(digest, loaded)
