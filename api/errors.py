"""The API's domain errors, raised below the routers and answered by ``api.server``.

Crud, orchestration and services raise these and never name an HTTP status: the one
table that turns each error into a status and a body is ``api.utilities.server.ERROR_RESPONSES``.
Two 404 shapes exist on the wire because the original has both: ``ObjectNotFoundError``
answers ``{"exception_message": ...}`` (its models layer) and ``NotFoundError`` answers
``{"detail": ...}`` (its routers).
"""

from __future__ import annotations


class OrionError(Exception):
    """Base class of the API's own errors; ``detail`` is the message the client sees."""

    def __init__(self, detail: object = None) -> None:
        super().__init__(detail)
        self.detail = detail


class ObjectNotFoundError(OrionError):
    """A row named by the request does not exist (answered ``{"exception_message": ...}``)."""

    def __str__(self) -> str:
        return str(self.detail)


class NotFoundError(OrionError):
    """A row named by the request does not exist (answered ``{"detail": ...}``)."""


class ConflictError(OrionError):
    """The write contradicts what is stored: a taken name, a missing dependency."""


class InvalidInputError(OrionError):
    """The request is well-formed but its values cannot be used together."""


class UnprocessableError(OrionError):
    """A value in the request is unusable on its own (a plain-detail 422)."""


class ForbiddenError(OrionError):
    """The request asks for something the server never allows (a reserved name)."""


class InvalidLimitError(UnprocessableError):
    """``limit`` outside ``0..PREFECT_API_DEFAULT_LIMIT``: a plain-detail 422."""


class OrionHTTPError(OrionError):
    """An HTTP answer chosen by a router itself: ``status_code`` and ``{"detail": ...}``.

    Only routers and the API's request checks raise it. ``detail=None`` answers with an
    empty body, as the admin database routes do.
    """

    def __init__(self, status_code: int, detail: object = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
