"""Block capability routes (``/block_capabilities``)."""

from __future__ import annotations

from django.http import HttpRequest

from api.crud import block_schemas
from api.utilities.server import OrionRouter

router = OrionRouter(prefix="/block_capabilities", tags=["Block capabilities"])


@router.get("/")
def read_available_block_capabilities(request: HttpRequest) -> list[str]:
    """Every capability some block schema declares, each once."""
    return block_schemas.read_available_block_capabilities()
