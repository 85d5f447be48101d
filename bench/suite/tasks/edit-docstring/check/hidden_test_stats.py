import inspect

import stats


def test_mean_has_a_docstring():
    doc = inspect.getdoc(stats.mean)
    assert doc is not None and len(doc.strip()) >= 5


def test_mean_still_works():
    assert stats.mean([1, 2, 3, 4]) == 2.5
    assert stats.mean([7]) == 7


def test_rest_of_the_module():
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([4, 1, 3, 2]) == 2.5
    assert stats.variance([1, 2, 3, 4]) == 1.25
    assert abs(stats.stdev([2, 4, 4, 4, 5, 5, 7, 9]) - 2.0) < 1e-9
