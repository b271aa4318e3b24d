"""``manage.py orion_fetch_prefect_ui``: put the official Prefect 2.8.7 UI into PREFECT_HOME.

``PREFECT_UI_FLAVOR=prefect`` then serves it at ``/`` instead of ours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ui import prefect_ui


class Command(BaseCommand):
    """Download the prefect==2.8.7 wheel (verified) and extract its built UI."""

    help = "Download the prefect==2.8.7 wheel and extract its UI into PREFECT_HOME (served with PREFECT_UI_FLAVOR=prefect)."

    def add_arguments(self, parser: CommandParser) -> None:
        """``--cache-dir``: where the downloaded wheel is kept between runs."""
        parser.add_argument(
            "--cache-dir",
            type=Path,
            default=Path(settings.PREFECT_HOME) / "downloads",
            help="Directory for the downloaded wheel (reused when its hash matches).",
        )

    def handle(self, *args: Any, cache_dir: Path, **options: Any) -> None:
        """Fetch, verify, extract, and say where the UI went."""
        try:
            wheel = prefect_ui.fetch_wheel(cache_dir)
            count = prefect_ui.extract_ui(wheel, Path(settings.PREFECT_UI_PREFECT_ROOT))
        except prefect_ui.FetchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Extracted {count} files of the Prefect {prefect_ui.PREFECT_VERSION} UI into "
            f"{settings.PREFECT_UI_PREFECT_ROOT}; serve it with PREFECT_UI_FLAVOR=prefect."
        )
