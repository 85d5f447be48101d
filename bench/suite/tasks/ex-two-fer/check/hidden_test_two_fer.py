from two_fer import two_fer


def test_with_a_name():
    assert two_fer("Alice") == "One for Alice, one for me."
    assert two_fer("Bob") == "One for Bob, one for me."


def test_without_a_name():
    assert two_fer() == "One for you, one for me."
