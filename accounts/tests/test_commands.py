"""manage.py create_api_token USERNAME prints a new token (issue 2 §2)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken
from accounts.services import api_token_authenticate

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_api_token_prints_a_token_that_authenticates():
    user = UserFactory(username="lis")
    out = StringIO()
    call_command("create_api_token", "lis", "--name", "LIS", stdout=out)
    raw = out.getvalue().strip()
    assert api_token_authenticate(raw_token=raw) == user
    token = ApiToken.objects.get(user=user)
    assert token.name == "LIS"
    assert raw not in token.key_hash


def test_create_api_token_works_over_the_api(client):
    UserFactory(username="lis", vendor_role="engineer")
    out = StringIO()
    call_command("create_api_token", "lis", stdout=out)
    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {out.getvalue().strip()}"}
    )
    assert response.status_code == 200
    assert response.json()["username"] == "lis"


@pytest.mark.parametrize("active", [None, False], ids=["unknown-user", "inactive-user"])
def test_create_api_token_refuses_unknown_or_inactive_users(active):
    if active is not None:
        UserFactory(username="gone", is_active=active)
    with pytest.raises(CommandError, match="gone"):
        call_command("create_api_token", "gone", stdout=StringIO())
    assert not ApiToken.objects.exists()
