"""Compatibility tests: the real ``prefect==2.8.7`` client and CLI against a live server."""
