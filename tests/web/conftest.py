"""Web fixtures: a user per role with a password, test clients signed in as them, and two
registered systems (the activity pages' tests)."""

from __future__ import annotations

import re

import pytest

from tests.factories import profile
from tracker import accounts, register, sign_in
from tracker.models import AISystem

PASSWORD = "correct horse battery staple"


# {role: username} of the users `people` makes.
PEOPLE = {role: f"{role}.web" for role in ("admin", "legal", "dpo", "auditor", "viewer")}


def create_people() -> dict[str, str]:
    """One user per role with the password PASSWORD, in the bound database: {role: username}."""
    names = {}
    for role, username in PEOPLE.items():
        user = accounts.create_user(username, role, "test-setup", email=f"{role}@police.example")
        sign_in.set_password(user, PASSWORD, "test-setup")
        names[role] = user.username
    return names


@pytest.fixture
def people(migrated) -> dict[str, str]:
    """One user per role with the password PASSWORD: {role: username}."""
    return create_people()


def csrf_token(client, path: str = "/sign-in") -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def sign_in_as(app, people):
    """``sign_in_as("dpo")`` -> a test client with a session for that role's user."""

    def make(role: str):
        client = app.test_client()
        response = client.post(
            "/sign-in",
            data={"username": people[role], "password": PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 302, response.text
        return client

    return make


@pytest.fixture
def systems(app, people) -> dict[str, AISystem]:
    """Two registered systems by name (a module may define its own ``systems`` instead)."""
    catalogue = app.extensions["tracker"].catalogue
    return {
        name: register.create_system(profile(name=name), "legal.web", catalogue)
        for name in ("Body-worn camera face search", "Crime report chatbot")
    }
