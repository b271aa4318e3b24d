"""``api.crud.schema_version``: applied migrations the code does not know, ours only."""

from __future__ import annotations

import pytest
from django.db.migrations.recorder import MigrationRecorder

from api.crud import schema_version

pytestmark = pytest.mark.django_db


def test_a_migrated_database_has_no_unknown_migrations():
    assert schema_version.unknown_applied_migrations() == []


def test_a_newer_release_of_ours_is_reported_and_other_apps_are_ignored():
    MigrationRecorder.Migration.objects.create(app="api", name="9999_from_the_future")
    MigrationRecorder.Migration.objects.create(app="someone_else", name="0001_initial")
    assert schema_version.unknown_applied_migrations() == ["api.9999_from_the_future"]
