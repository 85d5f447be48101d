import ast
import subprocess
import sys
from pathlib import Path

import pytest

from validators import is_valid_email


@pytest.mark.parametrize("address", ["name@example.com", "first.last@mail.example.org", "a1@b2.io"])
def test_valid(address):
    assert is_valid_email(address) is True


@pytest.mark.parametrize(
    "address", ["", "plainaddress", "name@", "@example.com", "name@@example.com", "na me@example.com"]
)
def test_invalid(address):
    assert is_valid_email(address) is False


def test_the_new_tests_exist_and_pass():
    path = Path("test_validators.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tests = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]
    assert tests, "test_validators.py has no test function"
    assert "is_valid_email" in path.read_text(encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
