from stats import mean, median, stdev, variance


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_median():
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5


def test_spread():
    assert variance([1, 2, 3, 4]) == 1.25
    assert stdev([2, 4, 4, 4, 5, 5, 7, 9]) == 2.0
