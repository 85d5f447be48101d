from word_count import count_words


def test_simple():
    assert count_words("one fish two fish") == {"one": 1, "fish": 2, "two": 1}


def test_case_and_punctuation():
    assert count_words("Go, go GO!") == {"go": 3}
    assert count_words("car: carpet as java: javascript!!&@$%^&") == {
        "car": 1, "carpet": 1, "as": 1, "java": 1, "javascript": 1
    }


def test_digits_and_whitespace():
    assert count_words("testing,1,2 testing\n1\t2") == {"testing": 2, "1": 2, "2": 2}


def test_apostrophes():
    assert count_words("That's the password: 'PASSWORD 123'!") == {
        "that's": 1, "the": 1, "password": 2, "123": 1
    }
    assert count_words("don't stop, don't") == {"don't": 2, "stop": 1}


def test_empty():
    assert count_words("") == {}
