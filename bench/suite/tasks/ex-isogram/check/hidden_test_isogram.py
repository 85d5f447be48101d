import pytest

from isogram import is_isogram


@pytest.mark.parametrize("text", ["", "lumberjacks", "six-year-old", "Emily Jung Schwartzkopf", "background"])
def test_isograms(text):
    assert is_isogram(text) is True


@pytest.mark.parametrize("text", ["Alphabet", "isograms", "eleven", "accentor-A", "up-to-date"])
def test_not_isograms(text):
    assert is_isogram(text) is False
