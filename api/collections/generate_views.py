"""Generate ``api/collections/views/*.json`` from the built-in block catalogue.

``aggregate-block-metadata`` lists, per Prefect collection (``prefect-aws``, ...), the
block types it provides, keyed by slug, each with its block schema -- the shape of the
collection registry's view of the same name. Core ``prefect`` blocks are not part of it
(the server registers them itself). Run after regenerating the block catalogue:

    .venv/bin/python api/collections/generate_views.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from api.blocks.builtin import load_builtin_blocks  # noqa: E402 - needs the path above
from api.collections import VIEWS_DIR  # noqa: E402

CORE_SOURCE = "prefect"
BLOCK_TYPE_KEYS = ("name", "slug", "logo_url", "documentation_url", "description", "code_example")


def aggregate_block_metadata(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """``{collection: {"block_types": {slug: block type with its block_schema}}}``."""
    view: dict[str, Any] = {}
    for block in sorted(blocks, key=lambda item: (item["source"], item["slug"])):
        if block["source"] == CORE_SOURCE:
            continue
        entry = {key: block[key] for key in BLOCK_TYPE_KEYS}
        entry["block_schema"] = block["block_schema"]
        view.setdefault(block["source"], {"block_types": {}})["block_types"][block["slug"]] = entry
    return view


def main() -> None:
    """Write every view file."""
    VIEWS_DIR.mkdir(exist_ok=True)
    path = VIEWS_DIR / "aggregate-block-metadata.json"
    path.write_text(json.dumps(aggregate_block_metadata(load_builtin_blocks()), indent=2, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
