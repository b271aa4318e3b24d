"""What views call before their work, on the request: the response-scoped write transaction.

``write_transaction(request)`` opens ``transaction.atomic()`` on the request's
response-scoped stack: everything the view writes commits after the view returns and
before the client sees the response (or rolls back if the view failed), so a 2xx answer
means the data is durable. It is HTTP plumbing, which is why it lives on the routers' side:
crud and orchestration run inside it and never see the request.

A request may carry a hook (``WRITE_TRANSACTION_HOOK``, set by the API guard) that is
called once the transaction is open, so the audit row joins the same transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from api.utilities.server import response_scoped_dependency

WRITE_TRANSACTION_HOOK = "write_transaction_hook"

_enter_atomic = response_scoped_dependency(transaction.atomic)


def write_transaction(request: HttpRequest) -> None:
    """Open the request's write transaction on its response-scoped stack."""
    _enter_atomic(request)
    hook = getattr(request, WRITE_TRANSACTION_HOOK, None)
    if hook is not None:
        hook(request)
