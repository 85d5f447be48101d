from search import (
    cities,
    dedupe,
    dump,
    find_by_email,
    find_first,
    group_by_initial,
    load,
    search,
    with_tag,
)

BOOK = load(
    """
# name <email>; city; tags
Zoë Adams <zoe@example.com>; Lyon; work,climbing
Bob Stone <bob@example.org>; Paris
Émile Durand <emile@example.net>; Lyon; work
ann lee <ann@example.com>
"""
)


def test_find_first():
    assert find_first(BOOK, lambda c: c.city == "Paris").name == "Bob Stone"
    assert find_first(BOOK, lambda c: "work" in c.tags).name == "Zoë Adams"
    assert find_first(BOOK, lambda c: c.city == "Rome") is None
    assert find_first([], lambda c: True) is None


def test_find_by_email():
    assert find_by_email(BOOK, " ANN@example.com ").name == "ann lee"
    assert find_by_email(BOOK, "nobody@example.com") is None


def test_rest_of_the_module():
    assert [c.name for c in search(BOOK, "lyon")] == ["Émile Durand", "Zoë Adams"]
    assert [c.name for c in search(BOOK, "emi")] == ["Émile Durand"]
    assert [c.name for c in with_tag(BOOK, "work")] == ["Zoë Adams", "Émile Durand"]
    assert group_by_initial(BOOK) == {"A": ["ann lee"], "B": ["Bob Stone"], "E": ["Émile Durand"],
                                      "Z": ["Zoë Adams"]}
    assert cities(BOOK) == ["Lyon", "Paris"]
    assert load(dump(BOOK)) == sorted(BOOK, key=lambda c: c.name.lower().replace("é", "e"))
    assert len(dedupe([*BOOK, *load("Bob S <BOB@example.org>; ; vip")])) == 4
