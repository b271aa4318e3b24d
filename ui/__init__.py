"""The single-page web UI, served by WhiteNoise with an index.html fallback."""
