"""The built-in block catalogue: the block types and schemas a 2.8.7 server registers.

The data files next to this module are generated from the real ``prefect==2.8.7``
client by ``api/blocks/generate_builtin_blocks.py`` (never edit them by hand: the
checksums must be the client's, bit for bit).  This module only reads them; it has no
Django or pydantic dependency.

``builtin_blocks.json`` is a list ordered by slug; each item has ``name``, ``slug``,
``logo_url``, ``documentation_url``, ``description``, ``code_example``,
``is_protected``, ``source`` (``"prefect"`` or the collection name, e.g.
``"prefect-aws"``) and ``block_schema`` = ``{checksum, version, capabilities, fields}``
where ``fields`` is the JSON Schema exactly as the client sends it (``secret_fields``,
``block_schema_references`` and ``definitions`` included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "BLOCK_CAPABILITIES_PATH",
    "BUILTIN_BLOCKS_PATH",
    "load_block_capabilities",
    "load_builtin_blocks",
]

_HERE = Path(__file__).resolve().parent
BUILTIN_BLOCKS_PATH = _HERE / "builtin_blocks.json"
BLOCK_CAPABILITIES_PATH = _HERE / "block_capabilities.json"


def load_builtin_blocks() -> list[dict[str, Any]]:
    """Return the built-in block types (fresh objects on every call, safe to mutate)."""
    return json.loads(BUILTIN_BLOCKS_PATH.read_text(encoding="utf-8"))


def load_block_capabilities() -> list[str]:
    """Return the sorted list of every capability used by the built-in block schemas."""
    return json.loads(BLOCK_CAPABILITIES_PATH.read_text(encoding="utf-8"))
