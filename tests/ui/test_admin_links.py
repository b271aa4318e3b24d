"""The Django admin and the UI link to each other's page of the same run."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_admin_run_page_links_to_the_ui_run_page(admin_client: Client) -> None:
    flow = admin_client.post("/api/flows/", {"name": "linked"}, content_type="application/json").json()
    run = admin_client.post(
        "/api/flow_runs/", {"flow_id": flow["id"], "name": "linked-run"}, content_type="application/json"
    ).json()

    change = admin_client.get(f"/admin/api/flowrun/{run['id']}/change/")
    assert change.status_code == 200
    assert f'href="/flow-runs/flow-run/{run["id"]}"' in change.content.decode()

    listing = admin_client.get("/admin/api/flowrun/", {"q": "linked-run"})
    assert f'href="/flow-runs/flow-run/{run["id"]}"' in listing.content.decode()

    # And the UI page the link leads to is served (the SPA renders it).
    assert admin_client.get(f"/flow-runs/flow-run/{run['id']}").status_code == 200
