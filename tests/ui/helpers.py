"""Steps several browser tests take the same way: deleting from a detail page, submitting a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.ui.conftest import Page


def dismiss_delete(page: Page, api: httpx.Client, url: str) -> None:
    """Open the detail page's Delete dialog and cancel it: ``url`` must still answer."""
    page.click_text("Delete", ".page-header button")
    page.click_text("Cancel", "dialog button")
    assert api.get(url).status_code == 200


def confirm_delete(page: Page, landing: str, what: str) -> None:
    """Delete from the detail page's header, confirm, and wait for the URL to end with ``landing``."""
    page.click_text("Delete", ".page-header button")
    page.click_text("Delete", "dialog button")
    page.wait_for(lambda: page.driver.current_url.endswith(landing), what)


def assert_gone(api: httpx.Client, url: str) -> None:
    """``url`` answers 404 (the API client raises on error answers)."""
    with pytest.raises(AssertionError, match="404"):
        api.get(url)


def submit(page: Page, button: str, until: Callable[[], Any], what: str) -> None:
    """Click the form's ``button`` and wait for ``until`` (an error shown, a page reached)."""
    page.click_text(button, "form button")
    page.wait_for(until, what)
