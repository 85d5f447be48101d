import pytest

from hamming import distance


@pytest.mark.parametrize(
    "a, b, expected",
    [("", "", 0), ("A", "A", 0), ("G", "T", 1), ("GGACTGAAATCTG", "GGACTGAAATCTG", 0),
     ("GAGCCTACTAACGGGAT", "CATCGTAATGACGGCCT", 7), ("ACGT", "TGCA", 4)],
)
def test_distance(a, b, expected):
    assert distance(a, b) == expected


@pytest.mark.parametrize("a, b", [("AB", "ABC"), ("", "G"), ("ATA", "")])
def test_unequal_lengths(a, b):
    with pytest.raises(ValueError) as info:
        distance(a, b)
    assert str(info.value).strip()
