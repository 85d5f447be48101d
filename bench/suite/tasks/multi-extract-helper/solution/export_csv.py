"""CSV export of the expense list."""

from __future__ import annotations

import csv
import io

from money import format_amount


def to_csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "label", "amount"])
    for row in rows:
        amount = format_amount(row["amount"])
        writer.writerow([row["date"], row["label"], amount])
    return out.getvalue()
