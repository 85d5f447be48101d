from client import base_url, build_url
from settings import Settings, load_settings


def test_default_is_http():
    assert Settings("h").use_https is False
    assert base_url(Settings("h")) == "http://h:80"
    assert build_url(load_settings({"host": "api.example.org"}), "/v1/users", page="2") == (
        "http://api.example.org:80/v1/users?page=2"
    )


def test_https():
    assert base_url(Settings("h", 443, use_https=True)) == "https://h:443"
    settings = load_settings({"host": "api.example.org", "port": 8443, "use_https": True})
    assert settings.use_https is True
    assert build_url(settings, "v1/users") == "https://api.example.org:8443/v1/users"


def test_other_settings():
    settings = load_settings({"host": "h", "timeout": 3, "use_https": False})
    assert settings.timeout == 3.0 and settings.port == 80
    assert build_url(settings, "x") == "http://h:80/x"
