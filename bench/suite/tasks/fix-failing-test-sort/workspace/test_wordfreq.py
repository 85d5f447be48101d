from wordfreq import count_words, top_words, unique_ratio

TEXT = "The cat and the dog and the bird"


def test_count_words():
    assert count_words(TEXT)["the"] == 3


def test_top_words_most_common_first():
    assert top_words(TEXT, 2) == [("the", 3), ("and", 2)]


def test_unique_ratio():
    assert unique_ratio("a a b b") == 0.5
    assert unique_ratio("") == 0.0
