"""A cache in front of twisted's Content-Type parsing, the costliest step of daphne's HTTP
handling that depends on nothing but its input.

``twisted.web.http.Request.requestReceived`` parses the Content-Type of every request that
has one through ``email.message.EmailMessage`` (about 60 µs on the 2-core development
machine, a sixth of the event loop's Python time under the engine workload), only to tell
form bodies from the others. The answer is a function of the header's bytes, and clients
send a handful of distinct values, so a small LRU cache gives the same answers for almost
nothing. It is applied only to the twisted release it was checked against (the one pinned
in ``requirements.txt``); under another, requests take twisted's own path.
"""

from __future__ import annotations

import functools
import sys

CHECKED_TWISTED_VERSION = "26.10.0"
# Values with a multipart boundary are unique per request; the cache stays small anyway.
CACHE_SIZE = 32


def cache_content_type_parsing() -> bool:
    """Cache ``twisted.web.http._parseContentType`` if twisted's HTTP server is loaded in
    this process (daphne) and is the checked release; whether the cache is in place."""
    http = sys.modules.get("twisted.web.http")
    if http is None:
        return False  # not served by daphne: nothing to speed up, nothing to import
    import twisted

    if twisted.__version__ != CHECKED_TWISTED_VERSION:
        return False
    parse = http._parseContentType
    if not hasattr(parse, "cache_info"):
        http._parseContentType = functools.lru_cache(maxsize=CACHE_SIZE)(parse)
    return True
