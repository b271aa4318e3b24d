"""SQLite backend with an in-process writer queue."""
