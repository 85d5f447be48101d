"""Print the sales report: `python main.py`."""

import csv

from report import summarize


def load(path: str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [{"region": row["region"], "amount": int(row["amount"])} for row in csv.DictReader(handle)]


if __name__ == "__main__":
    print(summarize(load("sales.csv")))
