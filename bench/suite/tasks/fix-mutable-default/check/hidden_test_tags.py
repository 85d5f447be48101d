from tags import add_tag, parse_tags, tag_counts


def test_no_state_between_calls():
    assert add_tag("Work") == ["work"]
    assert add_tag("home") == ["home"]
    assert add_tag("home") == ["home"]


def test_with_a_list():
    assert add_tag(" Y ", ["x"]) == ["x", "y"]
    assert add_tag("x", ["x"]) == ["x"]


def test_rest_of_the_module():
    assert parse_tags("a, B,,a ,c") == ["a", "b", "c"]
    assert parse_tags("") == []
    assert tag_counts([["a", "B"], ["b"]]) == {"a": 1, "b": 2}
