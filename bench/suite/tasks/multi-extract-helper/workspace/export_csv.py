"""CSV export of the expense list."""

from __future__ import annotations

import csv
import io


def to_csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "label", "amount"])
    for row in rows:
        amount = f"{float(row['amount']):,.2f}".replace(",", " ")
        writer.writerow([row["date"], row["label"], amount])
    return out.getvalue()
