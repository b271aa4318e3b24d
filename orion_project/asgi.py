"""ASGI entry point: ``daphne orion_project.asgi:application``.

HTTP goes to Django (API, UI, admin); websockets go to the live-update consumers.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orion_project.settings")

import django  # noqa: E402

django.setup()

from api.asgi import create_app  # noqa: E402

application = create_app()
