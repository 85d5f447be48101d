from report import group_by_region, summarize

SALES = [
    {"region": "north", "amount": 10},
    {"region": "south", "amount": 5},
    {"region": "north", "amount": 20},
]


def test_summary():
    assert summarize(SALES).splitlines() == ["north: 30", "south: 5", "Total: 35"]


def test_empty_summary():
    assert summarize([]).strip() == "Total: 0"


def test_grouping():
    assert group_by_region(SALES) == {"north": 30, "south": 5}
