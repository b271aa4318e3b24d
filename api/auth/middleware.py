"""``APIGuardMiddleware``: every ``/api`` request is checked here before a view parses it.

In order: the Host header (against ``ALLOWED_HOSTS``, so a DNS-rebinding page is refused,
checked before any other middleware runs),
the ``Origin`` of unsafe requests (a foreign page may not write, even anonymously), the
caller (``Authorization: Bearer <token>`` or the Django session), CSRF for session writes,
the role against ``api.routers.permissions``, secret reveals, and that a body is JSON.
Nothing is parsed and no view runs for a refused request.

The guard also writes the audit trail: a mutating call's row is written inside its write
transaction (``api.dependencies.write_transaction`` calls the hook installed here), so it
commits or rolls back with the change; a call that failed, was refused or revealed secrets
gets its row after the response is built, with the answer's status.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware

from api.auth import identity as identities
from api.auth.identity import ANONYMOUS, Identity
from api.auth.roles import Access, may, may_reveal_secrets
from api.crud import audit
from api.dependencies import WRITE_TRANSACTION_HOOK
from api.models import AuditEvent
from api.routers import permissions
from api.utilities.server import RESPONSE_ATTRIBUTE, STACK_ATTRIBUTE, json_response

logger = logging.getLogger("orion.auth")

API_ROOT = "/api"
STATE_ATTRIBUTE = "orion_guard"
REQUEST_ID_HEADER = "X-Request-ID"
_MAX_REQUEST_ID = 64
_ROUTE_PARAMETER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
_TRUE_VALUES = (True, 1, "true", "True", "1", "yes", "on")
_MUTATING_ACCESS = frozenset({Access.WRITE, Access.ADMIN, Access.ACCOUNT})
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})

NOT_AUTHENTICATED = (
    "Not authenticated: send an API key (`Authorization: Bearer <key>`, which the client "
    "sends when PREFECT_API_KEY is set) or sign in."
)
INVALID_TOKEN = "Invalid, expired or revoked API key."
REMOTE_REFUSED = (
    "Anonymous API access is only allowed from this machine. To use the API from "
    "elsewhere, start the server with ORION_AUTH_REQUIRED=true and send an API token "
    "(PREFECT_API_KEY; create one with `python manage.py orion_token create`), or set "
    "ORION_ALLOW_ANONYMOUS_REMOTE=true to accept anonymous remote calls."
)
CROSS_ORIGIN_REFUSED = "Cross-origin request refused: this origin is not in PREFECT_SERVER_CORS_ALLOWED_ORIGINS."
CSRF_REFUSED = "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
SECRETS_REFUSED = "Your role may not read secret values (include_secrets=true)."
BAD_HOST = "Invalid Host header."
_warned = False


@functools.lru_cache(maxsize=1024)
def operation_template(route: str) -> str:
    """``/api/flows/{id}`` for the Django route ``api/flows/<id>`` Ninja registers."""
    return "/" + _ROUTE_PARAMETER.sub(r"{\1}", route)


@dataclasses.dataclass
class GuardState:
    """What the guard learnt about one request, for the view and the audit trail."""

    operation: str
    access: Access
    kwargs: dict[str, Any]
    identity: Identity = ANONYMOUS
    mutating: bool = False
    refused: bool = False
    reveal: bool = False
    transaction_opened: bool = False
    audited_status: int | None = None


def _csrf_protected_view(request: HttpRequest) -> None:
    """Stands in for the (CSRF-exempt) API view when checking a session write's token."""


def warn_if_open() -> None:
    """Log, once per process, settings that leave the API open to other machines."""
    global _warned
    if _warned:
        return
    _warned = True
    if not settings.ORION_AUTH_REQUIRED and settings.ORION_ALLOW_ANONYMOUS_REMOTE:
        logger.warning(
            "ORION_ALLOW_ANONYMOUS_REMOTE=true and ORION_AUTH_REQUIRED=false: ANYONE WHO CAN "
            "REACH THIS SERVER CAN READ AND CHANGE EVERYTHING, and run code through deployments "
            "and agents. Set ORION_AUTH_REQUIRED=true unless the network is trusted."
        )


class APIGuardMiddleware:
    """Authenticate, authorise and audit ``/api`` requests (see the module docstring)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # Only its checks are used, on a stand-in view: API views are CSRF-exempt because
        # token clients need no CSRF, but a session write must carry the token.
        self._csrf = CsrfViewMiddleware(get_response)
        warn_if_open()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Serve the request; afterwards write its audit row if it needs one."""
        path = request.path_info
        if not (path.startswith(API_ROOT + "/") or path == API_ROOT):
            return self.get_response(request)
        given = request.headers.get(REQUEST_ID_HEADER, "")[:_MAX_REQUEST_ID]
        request.request_id = given or uuid.uuid4().hex  # type: ignore[attr-defined]
        try:
            request.get_host()
        except DisallowedHost:
            # Checked first, so a DNS-rebinding page gets nothing from any middleware.
            refused = GuardState(operation=f"{request.method} {path}", access=Access.READ, kwargs={})
            setattr(request, STATE_ATTRIBUTE, refused)
            response = self._refuse(refused, 400, BAD_HOST)
        else:
            response = self.get_response(request)
        state: GuardState | None = getattr(request, STATE_ATTRIBUTE, None)
        if state is not None:
            self._audit_after(request, state, response)
        response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: tuple[Any, ...], view_kwargs: dict[str, Any]
    ) -> HttpResponseBase | None:
        """Refuse the request before its view runs, or let it through."""
        path = request.path_info
        if not (path.startswith(API_ROOT + "/") or path == API_ROOT):
            return None
        match = request.resolver_match
        operation = f"{request.method} {operation_template(match.route if match else path)}"
        access = permissions.access_for(operation)
        state = GuardState(operation=operation, access=access, kwargs=dict(view_kwargs))
        safe = request.method in permissions.SAFE_METHODS
        state.mutating = not safe and access in _MUTATING_ACCESS
        setattr(request, STATE_ATTRIBUTE, state)
        if access is Access.PUBLIC:
            return None
        if not safe and not self._origin_allowed(request):
            return self._refuse(state, 403, CROSS_ORIGIN_REFUSED)
        identity = self._identify(request)
        required = settings.ORION_AUTH_REQUIRED
        if required and identity is None:
            return self._refuse(state, 401, INVALID_TOKEN)
        state.identity = identity or ANONYMOUS
        if required and not state.identity.authenticated:
            return self._refuse(state, 401, NOT_AUTHENTICATED)
        if not required and not settings.ORION_ALLOW_ANONYMOUS_REMOTE:
            if not identities.is_loopback(request.META.get("REMOTE_ADDR")):
                return self._refuse(state, 403, REMOTE_REFUSED)
        if state.identity.via == "session" and not safe and not self._csrf_passes(request):
            return self._refuse(state, 403, CSRF_REFUSED)
        role = state.identity.role
        if required and not may(role, access):
            who = f"{state.identity.username!r} ({role or 'no role'})"
            return self._refuse(state, 403, f"Forbidden: user {who} may not call {operation}.")
        if operation in permissions.SECRET_READS and self._asks_for_secrets(request):
            if required and not may_reveal_secrets(role):
                return self._refuse(state, 403, SECRETS_REFUSED)
            state.reveal = True
        not_json = self._non_json_body(request)
        if not_json is not None:
            return not_json
        if state.mutating:
            setattr(request, WRITE_TRANSACTION_HOOK, functools.partial(self._audit_in_transaction, state))
        return None

    # -- checks -----------------------------------------------------------------------

    @staticmethod
    def _refuse(state: GuardState, status: int, detail: str) -> HttpResponse:
        state.refused = True
        response = json_response({"detail": detail}, status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="orion"'
        return response

    @staticmethod
    def _origin_allowed(request: HttpRequest) -> bool:
        """Browsers send ``Origin`` on cross-origin writes; the Prefect client sends none."""
        origin = request.headers.get("origin")
        if origin is None or settings.CORS_ALLOW_ALL_ORIGINS:
            return True
        if origin in settings.CORS_ALLOWED_ORIGINS or origin in settings.CSRF_TRUSTED_ORIGINS:
            return True
        return urlsplit(origin).netloc == request.get_host()

    @staticmethod
    def _identify(request: HttpRequest) -> Identity | None:
        """The caller, ANONYMOUS without credentials, None for a bad token."""
        secret = identities.bearer_secret(request.headers.get("authorization"))
        if secret is not None:
            return identities.from_token(secret)
        session = getattr(request, "session", None)
        if session is None:
            key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            if not key:
                return ANONYMOUS
            session = identities.session_store(key)
        return identities.from_session(session)

    def _csrf_passes(self, request: HttpRequest) -> bool:
        self._csrf.process_request(request)
        return self._csrf.process_view(request, _csrf_protected_view, (), {}) is None

    @staticmethod
    def _asks_for_secrets(request: HttpRequest) -> bool:
        if request.method == "GET":
            return request.GET.get("include_secrets", "") in _TRUE_VALUES
        try:
            body = orjson.loads(request.body or b"{}")
        except (orjson.JSONDecodeError, RequestDataTooBig):
            return False  # the view answers the bad body
        return isinstance(body, dict) and body.get("include_secrets") in _TRUE_VALUES

    @staticmethod
    def _non_json_body(request: HttpRequest) -> HttpResponse | None:
        """The original's 422 for a body that is not JSON (a cross-origin "simple" POST)."""
        content_type = request.content_type or ""
        if not content_type or content_type == "application/json":
            return None
        if content_type.startswith("application/") and content_type.endswith("+json"):
            return None
        try:
            body = request.body
        except RequestDataTooBig:
            return None  # the view answers 413
        if not body or (content_type in _FORM_TYPES and not _form_has_data(request)):
            return None
        detail = [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}]
        payload = {
            "exception_message": "Invalid request received.",
            "exception_detail": detail,
            "request_body": body[:2000].decode(errors="replace"),
        }
        return json_response(payload, 422)

    # -- audit ------------------------------------------------------------------------

    def _audit_in_transaction(self, state: GuardState, request: HttpRequest) -> None:
        """Called by ``write_transaction`` once the transaction is open: write the row as
        the stack unwinds successfully, still inside that transaction."""
        setattr(request, WRITE_TRANSACTION_HOOK, None)
        state.transaction_opened = True

        def on_exit(
            exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
        ) -> bool:
            if exc_type is None:
                response = getattr(request, RESPONSE_ATTRIBUTE, None)
                status = response.status_code if response is not None else 200
                self._write_row(request, state, status, AuditEvent.Outcome.COMMITTED, response)
                state.audited_status = status
            return False

        getattr(request, STACK_ATTRIBUTE).push(on_exit)

    def _audit_after(self, request: HttpRequest, state: GuardState, response: HttpResponseBase) -> None:
        status = response.status_code
        if state.refused:
            outcome = AuditEvent.Outcome.REFUSED
        elif state.mutating:
            if state.audited_status == status:
                return  # written with the change
            if state.transaction_opened:
                outcome = AuditEvent.Outcome.ROLLED_BACK
            else:
                outcome = AuditEvent.Outcome.FAILED if status >= 400 else AuditEvent.Outcome.DONE
        elif state.reveal and status == 200:
            outcome = AuditEvent.Outcome.REVEALED
        else:
            return
        if status == 503 and response.has_header("Retry-After"):
            # The database is unavailable (see exception_response): a row cannot be
            # written, and trying would hold the answer for another pool timeout.
            logger.warning("Audit row of %s %s not written: database unavailable", request.method, request.path)
            return
        try:
            self._write_row(request, state, status, outcome, response)
        except Exception:  # noqa: BLE001 - the answer is already decided; say so loudly
            logger.exception("Could not write the audit row of %s %s", request.method, request.path)

    @staticmethod
    def _write_row(
        request: HttpRequest, state: GuardState, status: int, outcome: str, response: HttpResponseBase | None
    ) -> None:
        audit.create_audit_event(
            user=state.identity.user,
            username=state.identity.username,
            token_name=state.identity.token_name,
            peer=request.META.get("REMOTE_ADDR", "")[:64],
            method=request.method or "",
            path=request.path[:500],
            object_id=_object_id(state, response)[:200],
            status=status,
            outcome=outcome,
            request_id=getattr(request, "request_id", ""),
        )


def _form_has_data(request: HttpRequest) -> bool:
    """Whether a form body holds any field (an empty form, as a bare POST sends, holds none)."""
    try:
        return bool(request.POST) or bool(request.FILES)
    except Exception:  # noqa: BLE001 - a malformed form is data we refuse
        return True


def _object_id(state: GuardState, response: HttpResponseBase | None) -> str:
    """The path parameters naming the object, else the ``id`` of a created object."""
    if state.kwargs:
        return "/".join(str(value) for value in state.kwargs.values())
    if response is None or state.refused or response.status_code >= 300 or response.streaming:
        return ""
    content = getattr(response, "content", b"")
    if not content.startswith(b"{") or len(content) > 65536:
        return ""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return ""
    return str(body.get("id", "")) if isinstance(body, dict) else ""
