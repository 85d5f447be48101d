import pytest

from signup import USERS, register


def test_register():
    USERS.clear()
    user = register(" Ann ", "Ann@Example.com")
    assert user.name == "Ann" and user.email == "ann@example.com"
    with pytest.raises(ValueError):
        register("Ann", "ann@example.com")
