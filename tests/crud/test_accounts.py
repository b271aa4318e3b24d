"""``api.crud.accounts``: roles, token secrets stored only as digests, verification
refusing revoked/expired tokens and inactive users, revocation keeping its first time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from api.auth.roles import Role
from api.crud import accounts
from api.models import APIToken

pytestmark = pytest.mark.django_db


def test_ensure_user_creates_without_a_password_and_reports_the_previous_role():
    user, previous, created = accounts.ensure_user("ana", Role.VIEWER)
    assert created and previous is None and not user.has_usable_password()
    assert accounts.role_of(user) is Role.VIEWER

    again, previous, created = accounts.ensure_user("ana", Role.OPERATOR)
    assert (again.pk, previous, created) == (user.pk, Role.VIEWER, False)
    # The new role replaces the old one: a user holds one role group at a time.
    assert accounts.role_of(again) is Role.OPERATOR
    assert list(again.groups.values_list("name", flat=True)) == ["operator"]


def test_set_role_recreates_a_missing_group():
    user, _, _ = accounts.ensure_user("bo", Role.VIEWER)
    Group.objects.filter(name="admin").delete()
    accounts.set_role(user, Role.ADMIN)
    assert accounts.role_of(user) is Role.ADMIN


def test_inactive_users_and_superusers():
    user, _, _ = accounts.ensure_user("cy", Role.VIEWER)
    user.is_superuser = True
    user.save()
    assert accounts.role_of(user) is Role.ADMIN
    user.is_active = False
    user.save()
    assert accounts.role_of(user) is None


def test_only_the_digest_of_a_token_is_stored_and_it_verifies():
    user, _, _ = accounts.ensure_user("dee", Role.OPERATOR)
    token, secret = accounts.create_token(user, "ci")
    assert secret.startswith(accounts.TOKEN_PREFIX)
    stored = APIToken.objects.get(pk=token.pk)
    assert stored.digest == accounts.digest(secret) and secret not in stored.digest
    assert secret.startswith(stored.prefix)

    verified = accounts.verify_token(secret, timezone.now())
    assert verified is not None and verified[0].pk == token.pk and verified[1] is Role.OPERATOR
    assert accounts.verify_token(secret + "x", timezone.now()) is None


def test_expired_revoked_and_inactive_tokens_do_not_verify():
    user, _, _ = accounts.ensure_user("eve", Role.VIEWER)
    now = timezone.now()
    _, expiring = accounts.create_token(user, "expiring", expires=now + dt.timedelta(minutes=1))
    assert accounts.verify_token(expiring, now) is not None
    assert accounts.verify_token(expiring, now + dt.timedelta(minutes=1)) is None

    revoked, secret = accounts.create_token(user, "revoked")
    assert accounts.revoke_tokens([revoked]) == 1
    assert accounts.verify_token(secret, now) is None

    _, live = accounts.create_token(user, "live")
    user.is_active = False
    user.save()
    assert accounts.verify_token(live, now) is None


def test_revoking_twice_keeps_the_first_time():
    user, _, _ = accounts.ensure_user("fay", Role.VIEWER)
    token, _ = accounts.create_token(user, "t")
    assert accounts.revoke_tokens([token]) == 1
    first = APIToken.objects.get(pk=token.pk).revoked
    assert accounts.revoke_tokens(APIToken.objects.filter(pk=token.pk)) == 0
    assert APIToken.objects.get(pk=token.pk).revoked == first


def test_touch_token_writes_at_most_once_per_resolution():
    user, _, _ = accounts.ensure_user("gus", Role.VIEWER)
    token, _ = accounts.create_token(user, "t")
    now = timezone.now()
    accounts.touch_token(token, now, resolution=60)
    accounts.touch_token(token, now + dt.timedelta(seconds=30), resolution=60)
    assert APIToken.objects.get(pk=token.pk).last_used == now
    later = now + dt.timedelta(seconds=61)
    accounts.touch_token(token, later, resolution=60)
    assert APIToken.objects.get(pk=token.pk).last_used == later


def test_tokens_are_read_per_user_newest_first():
    ann, _, _ = accounts.ensure_user("ann", Role.VIEWER)
    ben, _, _ = accounts.ensure_user("ben", Role.VIEWER)
    old, _ = accounts.create_token(ann, "old")
    APIToken.objects.filter(pk=old.pk).update(created=timezone.now() - dt.timedelta(days=1))
    new, _ = accounts.create_token(ann, "new")
    other, _ = accounts.create_token(ben, "other")

    assert [t.name for t in accounts.read_tokens(ann)] == ["new", "old"]
    assert {t.name for t in accounts.read_tokens()} == {"new", "old", "other"}
    assert accounts.read_token(other.pk, ann) is None
    assert accounts.read_token(other.pk).pk == other.pk
    assert accounts.read_user("ben").pk == ben.pk and accounts.read_user("nobody") is None
