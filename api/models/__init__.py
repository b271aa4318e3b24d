"""Django ORM models of the API, one module per resource, re-exported here."""

from api.models.configuration import Configuration

__all__ = ["Configuration"]
