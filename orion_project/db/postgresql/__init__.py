"""PostgreSQL backend whose pool checks a connection at most once a second (see base.py)."""
