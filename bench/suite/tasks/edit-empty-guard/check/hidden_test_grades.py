import grades


def test_empty_average():
    assert grades.average([]) == 0.0


def test_average():
    assert grades.average([80, 90]) == 85
    assert grades.average([70]) == 70


def test_report_with_a_student_without_scores():
    assert grades.report({"bob": [90, 100], "ann": []}) == ["ann: 0.0 (F)", "bob: 95.0 (A)"]


def test_letters():
    assert [grades.letter(s) for s in (95, 85, 75, 65, 10)] == ["A", "B", "C", "D", "F"]
