import pytest

from pangram import is_pangram


@pytest.mark.parametrize(
    "sentence",
    [
        "The quick brown fox jumps over the lazy dog",
        "PACK MY BOX WITH FIVE DOZEN LIQUOR JUGS",
        "the_quick_brown_fox_jumps_over_the_lazy_dog!!! 123",
    ],
)
def test_pangrams(sentence):
    assert is_pangram(sentence) is True


@pytest.mark.parametrize(
    "sentence", ["", "Hello, world", "The quick brown fox jumps over the lay dog", "abcdefghijklm"]
)
def test_not_pangrams(sentence):
    assert is_pangram(sentence) is False
