"""JSON export of the expense list."""

from __future__ import annotations

import json


def to_json(rows: list[dict[str, object]]) -> str:
    items = []
    for row in rows:
        amount = f"{float(row['amount']):,.2f}".replace(",", " ")
        items.append({"date": row["date"], "label": row["label"], "amount": amount})
    return json.dumps({"expenses": items}, ensure_ascii=False, indent=2)
