"""``api.crud.database``: clearing empties every API table (linked rows included) and
leaves the schema and other apps' tables alone."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from api.crud import database
from tests.fixtures.rows import new_block_document, new_deployment, new_flow_run, new_task_run, state

pytestmark = pytest.mark.django_db


def test_clear_empties_every_api_table_but_keeps_users():
    run = new_flow_run(initial=state("RUNNING"))
    new_task_run(run, state("COMPLETED"))
    new_deployment()
    new_block_document()
    user = get_user_model().objects.create(username="kept")  # auth rows are not the API's

    database.clear_database()

    for model in apps.get_app_config("api").get_models():
        assert not model.objects.exists(), model.__name__
    assert get_user_model().objects.filter(pk=user.pk).exists()
