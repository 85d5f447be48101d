from geometry import Point, Rect


def compact(text):
    return text.replace(" ", "")


def test_point_repr():
    assert compact(repr(Point(1, 2))) in {"Point(x=1,y=2)", "Point(1,2)"}
    assert compact(repr(Point(1.5, -2))) in {"Point(x=1.5,y=-2)", "Point(1.5,-2)"}


def test_rect_repr_shows_the_point():
    text = compact(repr(Rect(Point(0, 3), 4, 5)))
    assert text.startswith("Rect(corner=Point(") and "object at" not in text


def test_rest_of_the_module():
    assert Point(0, 0).distance_to(Point(3, 4)) == 5
    assert Point(1, 2) == Point(1, 2)
    rect = Rect(Point(0, 0), 2, 3)
    assert rect.area() == 6 and rect.contains(Point(1, 1)) and not rect.contains(Point(3, 1))
