import config


def test_missing_port_uses_the_default():
    assert config.get_port({}) == 8080
    assert config.get_port({"host": "example.org"}) == 8080


def test_port_from_the_file(tmp_path):
    path = tmp_path / "app.ini"
    path.write_text("[server]\nport = 9000\n")
    assert config.get_port(config.load_settings(path)) == 9000
    path.write_text("[server]\nhost = 0.0.0.0\n")
    assert config.get_port(config.load_settings(path)) == 8080


def test_rest_of_the_module():
    assert config.get_host({}) == "127.0.0.1"
    assert config.get_debug({"debug": "Yes"}) is True
    assert config.get_debug({}) is False
