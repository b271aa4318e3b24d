"""The app shell: navigation, deep links, the about page, pages that do not exist."""

from __future__ import annotations

from tests.ui.conftest import Page


def test_about_page_shows_server_and_api_versions_and_settings(page: Page) -> None:
    page.open("/about")
    page.wait_text("Server version")
    assert page.wait_for(lambda: page.text("#server-version"), "server version") == "2.8.7"
    assert page.text("#api-version") == "0.8.4"
    page.wait_text("PREFECT_")


def test_navigation_routes_without_reload_and_deep_links_survive_reload(page: Page) -> None:
    page.open("/")
    page.wait_text("Run history")
    page.driver.execute_script("window.__same_document = true")
    page.click_text("About", "#nav a")
    page.wait_text("Server version")
    assert page.driver.current_url.endswith("/about")
    assert page.driver.execute_script("return window.__same_document === true"), "the link reloaded the page"
    page.driver.back()
    page.wait_text("Run history")
    page.open("/about")
    page.driver.refresh()
    page.wait_text("Server version")


def test_unknown_page_says_so(page: Page) -> None:
    page.open("/no/such/page")
    page.wait_text("Page not found")
