"""The Prefect Orion REST API (2.8.7 / API 0.8.4) as a Django app."""
