import pytest

from acronym import abbreviate


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("Portable Network Graphics", "PNG"),
        ("Ruby on Rails", "ROR"),
        ("Complementary metal-oxide semiconductor", "CMOS"),
        ("First In, First Out", "FIFO"),
        ("GNU Image Manipulation Program", "GIMP"),
        ("Halley's Comet", "HC"),
        ("The Road _Not_ Taken", "TRNT"),
    ],
)
def test_abbreviate(phrase, expected):
    assert abbreviate(phrase) == expected
