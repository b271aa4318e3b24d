"""The Django admin shows deployments, work pools, queues, workers, artifacts and
notification policies made through the API, with their list filters and search."""

from __future__ import annotations

import pytest
from django.test import Client

from api import models
from tests.fixtures.http import post
from tests.fixtures.rows import new_artifact

pytestmark = pytest.mark.django_db


def test_admin_lists_and_searches_work_distribution_rows(admin_client: Client) -> None:
    flow = post(admin_client, "/flows/", {"name": "admin-flow"}).json()
    deployment = post(
        admin_client, "/deployments/", {"name": "admin-dep", "flow_id": flow["id"], "work_queue_name": "admin-q"}
    ).json()
    post(admin_client, "/work_pools/", {"name": "admin-pool", "type": "process"})
    post(admin_client, "/work_pools/admin-pool/workers/heartbeat", {"name": "admin-worker"})
    new_artifact(key="admin-artifact")

    pages = {
        "deployment": ("admin-dep", f'href="/deployments/deployment/{deployment["id"]}"'),
        "workpool": ("admin-pool", "admin-pool"),
        "workqueue": ("admin-q", "default-agent-pool"),
        "worker": ("admin-worker", "admin-pool"),
        "artifact": ("admin-artifact", "admin-artifact"),
    }
    for model, (query, expected) in pages.items():
        listing = admin_client.get(f"/admin/api/{model}/", {"q": query})
        assert listing.status_code == 200, model
        assert expected in listing.content.decode(), model
        empty = admin_client.get(f"/admin/api/{model}/", {"q": "no-such-thing"})
        assert query not in empty.content.decode().split("<tbody>")[-1], model

    pool = models.WorkPool.objects.get(name="admin-pool")
    change = admin_client.get(f"/admin/api/workpool/{pool.id}/change/")
    assert change.status_code == 200 and "default" in change.content.decode()
    assert admin_client.get("/admin/api/flowrunnotificationpolicy/").status_code == 200
    assert admin_client.get("/admin/api/workqueue/", {"is_paused__exact": "1"}).status_code == 200
