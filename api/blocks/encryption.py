"""Encryption at rest of block document data (Fernet, from the ``cryptography`` package).

The key is ``PREFECT_SERVER_ENCRYPTION_KEY`` when set; otherwise one is generated on
first use and kept in the ``configuration`` table under ``ENCRYPTION_KEY`` as
``{"fernet_key": "..."}``, so every server process sharing the database agrees on it.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import IntegrityError, transaction

from api.models import Configuration

ENCRYPTION_KEY_NAME = "ENCRYPTION_KEY"


def get_fernet_key() -> bytes:
    """The Fernet key: from settings, else the one stored in the database (created once)."""
    configured = settings.PREFECT_SERVER_ENCRYPTION_KEY
    if configured:
        return configured.encode()
    row = Configuration.objects.filter(key=ENCRYPTION_KEY_NAME).first()
    if row is None:
        try:
            with transaction.atomic():
                row = Configuration.objects.create(
                    key=ENCRYPTION_KEY_NAME, value={"fernet_key": Fernet.generate_key().decode()}
                )
        except IntegrityError:
            # Another process generated it first: use theirs.
            row = Configuration.objects.get(key=ENCRYPTION_KEY_NAME)
    return row.value["fernet_key"].encode()


def get_fernet() -> Fernet:
    """A Fernet instance with the server's key (one configuration query at most)."""
    return Fernet(get_fernet_key())


def encrypt_data(data: dict[str, Any], fernet: Fernet | None = None) -> str:
    """Encrypt a block document's data (a JSON object) into a Fernet token string."""
    fernet = fernet or get_fernet()
    return fernet.encrypt(json.dumps(data).encode()).decode()


def decrypt_data(token: str, fernet: Fernet | None = None) -> dict[str, Any]:
    """Decrypt a token made by :func:`encrypt_data`; an empty token is empty data."""
    if not token:
        return {}
    fernet = fernet or get_fernet()
    return json.loads(fernet.decrypt(token.encode()))
