from validators import is_valid_email


def test_valid_address():
    assert is_valid_email("name@example.com")


def test_invalid_addresses():
    assert not is_valid_email("name")
    assert not is_valid_email("name@")
    assert not is_valid_email("@example.com")
