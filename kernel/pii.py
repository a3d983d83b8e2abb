"""The kinds of personal data redaction finds, and the label that stands for each in a redacted text."""
from __future__ import annotations

LABELS = {
    "name": "[ФИО]", "address": "[адрес]", "date": "[дата]", "passport": "[паспорт]", "snils": "[СНИЛС]",
    "inn": "[ИНН]", "phone": "[телефон]", "card": "[карта]", "email": "[e-mail]",
}
KINDS = tuple(LABELS)
