"""Collection registry views served by ``GET /collections/views/{view}``.

The original server fetches these from the Prefect collection registry on GitHub; this
one never calls out. The views ship as JSON files in ``views/`` (generated from the
built-in block catalogue by ``api/collections/generate_views.py``) and are read once.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Optional

VIEWS_DIR = Path(__file__).resolve().parent / "views"
# A view name is a file stem: nothing that could step outside the directory.
_VIEW_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@functools.cache
def read_view(view: str) -> Optional[Any]:
    """The JSON of the named view, or ``None`` when there is no such view."""
    if not _VIEW_NAME.match(view):
        return None
    path = VIEWS_DIR / f"{view}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
