import json
from pathlib import Path

from export_csv import to_csv
from export_json import to_json
from money import format_amount

ROWS = [
    {"date": "2024-03-01", "label": "rent", "amount": 1234.5},
    {"date": "2024-03-02", "label": "coffee", "amount": 3},
]


def test_format_amount():
    assert format_amount(1234.5) == "1 234.50"
    assert format_amount(3) == "3.00"
    assert format_amount(1234567.891) == "1 234 567.89"


def test_exports_use_it():
    for name in ("export_csv.py", "export_json.py"):
        text = Path(name).read_text(encoding="utf-8")
        assert "format_amount" in text and ",.2f" not in text, name


def test_exports_unchanged():
    assert to_csv(ROWS) == "date,label,amount\n2024-03-01,rent,1 234.50\n2024-03-02,coffee,3.00\n"
    assert json.loads(to_json(ROWS)) == {
        "expenses": [
            {"date": "2024-03-01", "label": "rent", "amount": "1 234.50"},
            {"date": "2024-03-02", "label": "coffee", "amount": "3.00"},
        ]
    }
