"""Test key pairs shaped like a Google service-account key file.

    sa, public_pem = new_service_account("http://127.0.0.1:8790/google/oauth2/token")
    SandboxControl(url).play_register_service_account(sa["client_email"], public_pem)

`sa` has the fields of the JSON key Google Cloud hands out (`type: service_account`,
`client_email`, `private_key` as PKCS#8 PEM, `private_key_id`, `token_uri`, ...), so clients that
read such a file (google-auth, our own) work with it unchanged; `token_uri` points at the sandbox.
"""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ID = "sandbox-project"


def new_service_account(
    token_uri: str, *, client_email: str | None = None, project_id: str = PROJECT_ID
) -> tuple[dict[str, Any], str]:
    """A fresh RSA-2048 key pair: (service-account JSON as a dict, the public key as PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    email = (
        client_email or f"release-bot-{secrets.token_hex(3)}@{project_id}.iam.gserviceaccount.com"
    )
    client_id = str(100_000_000_000_000_000_000 + secrets.randbelow(10**20))
    account = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem,
        "client_email": email,
        "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        + email.replace("@", "%40"),
        "universe_domain": "googleapis.com",
    }
    return account, public_pem
