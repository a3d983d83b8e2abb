"""Redacting a database filled before redaction was wired into processing: transcripts word by word, and the
other texts that quote callers (complaints, evidence quotes, cluster quotes)."""
from __future__ import annotations

import json

from privacy.redact import redact_text


def redact_evidence(evidence: str) -> str:
    """An evidence JSON list ([{start, end, speaker, quote, method}]) with every quote redacted."""
    items = json.loads(evidence)
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("quote"), str):
            item["quote"] = redact_text(item["quote"]).text
    return json.dumps(items, ensure_ascii=False)


def redact_texts(texts: dict[str, list[tuple]]) -> tuple[dict[str, list[tuple]], int]:
    """The texts with personal data masked (only rows that changed), and how many changed."""
    changed: dict[str, list[tuple]] = {}
    for table, rows in texts.items():
        out = []
        for *key, text in rows:
            masked = redact_evidence(text) if table == "checklist_verdicts" else redact_text(text).text
            if masked != text:
                out.append((*key, masked))
        changed[table] = out
    return changed, sum(len(rows) for rows in changed.values())
