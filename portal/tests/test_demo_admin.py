from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_the_demo_admin_signs_in_to_the_admin_with_the_printed_credentials(client, settings):
    settings.DEBUG = True
    call_command("create_demo_admin")
    call_command("create_demo_admin")  # a second `make run` changes nothing

    assert get_user_model().objects.filter(username="admin").count() == 1
    assert client.login(username="admin", password="portal-demo-admin")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_to_create_a_known_password_account_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("create_demo_admin")
    assert not get_user_model().objects.exists()
