"""Database backends tuned for the Orion server."""
