import inspect

import pytest

import textutils

NAMES = ["slugify", "truncate", "word_count", "reading_time"]


@pytest.mark.parametrize("name", NAMES)
def test_fully_annotated(name):
    fn = getattr(textutils, name)
    sig = inspect.signature(fn)
    missing = [p for p in sig.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type"


def test_behaviour_unchanged():
    assert textutils.slugify("Héllo, World!") == "hello-world"
    assert textutils.truncate("hello world", 8) == "hello..."
    assert textutils.truncate("short", 8) == "short"
    assert textutils.word_count("one two  three") == 3
    assert textutils.reading_time("word " * 450) == 2
    assert textutils.reading_time("hi") == 1
