"""Root routes: ``/hello``."""

from django.http import HttpRequest

from api.utilities.server import OrionRouter

router = OrionRouter(prefix="", tags=["Root"])


@router.get("/hello")
def hello(request: HttpRequest) -> str:
    """Say hello."""
    return "👋"
