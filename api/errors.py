"""Exceptions raised below the routers and mapped to HTTP answers by ``api.server``."""

from __future__ import annotations


class OrionError(Exception):
    """Base class of the API's own errors."""


class ObjectNotFoundError(OrionError):
    """A row named by the request does not exist (404 ``{"exception_message": ...}``)."""


class OrionHTTPError(OrionError):
    """An error with an explicit status and ``detail`` (``{"detail": ...}``).

    ``detail=None`` answers with an empty body, as the admin database routes do.
    """

    def __init__(self, status_code: int, detail: object = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


class InvalidLimitError(OrionHTTPError):
    """``limit`` outside ``0..PREFECT_API_DEFAULT_LIMIT``: a plain-detail 422."""

    def __init__(self, detail: str) -> None:
        super().__init__(422, detail)


def not_found(detail: str) -> OrionHTTPError:
    """A 404 with the ``{"detail": ...}`` body the routers answer for missing rows."""
    return OrionHTTPError(404, detail)
