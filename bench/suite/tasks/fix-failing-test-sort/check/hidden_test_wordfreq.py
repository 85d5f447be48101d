from wordfreq import count_words, top_words, unique_ratio

TEXT = "The cat and the dog and the bird"
LONG = "red blue red green red blue yellow red blue green red"


def test_top_words():
    assert top_words(TEXT, 2) == [("the", 3), ("and", 2)]
    assert top_words(LONG) == [("red", 5), ("blue", 3), ("green", 2)]
    assert top_words(LONG, 1) == [("red", 5)]
    assert top_words("", 3) == []


def test_rest_of_the_module():
    assert count_words(TEXT)["the"] == 3
    assert unique_ratio("a a b b") == 0.5
