"""The hotline's topic catalogue, a call's topic, and whether the IVR branch the caller chose fits it.

A topic is decided by two kinds of evidence added together: keyword lemmas that name the topic's subject
(«пенсия», «госключ», «штраф»), and how close the complaint is to short prototype statements of each topic in
the encoder's space. Keywords are precise but miss words that speech recognition garbled; the prototypes catch
paraphrases and garbled words, but confuse topics that share vocabulary («личный кабинет», «заявление»).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from insights import encoder
from insights.lemmas import lemmas, sound_key, words
from insights.records import TopicAssignment

OTHER = "other"
TOPICS = (
    "restore_access", "application_status", "passport_documents", "benefits_pensions", "contact_data_change",
    "service_centre_appointment", "taxes_fines", "electronic_signature", OTHER,
)
TOPIC_NAMES = {
    "restore_access": "восстановление доступа / ошибки входа",
    "application_status": "статус заявления",
    "passport_documents": "паспорт и документы",
    "benefits_pensions": "пособия и пенсии",
    "contact_data_change": "изменение контактных данных",
    "service_centre_appointment": "запись в центр обслуживания",
    "taxes_fines": "налоги и штрафы",
    "electronic_signature": "электронная подпись",
    OTHER: "другое",
}

# IVR menu: 1 general questions, 2 personal account, 3 specialised services (taxes, pensions, licences),
# 4 emergency support. Losing access to the account is both a personal-account matter and an emergency.
IVR_BRANCHES = {1: "общие вопросы", 2: "личный кабинет", 3: "специализированные услуги", 4: "экстренная поддержка"}
TOPIC_BRANCHES: dict[str, frozenset[int]] = {
    "restore_access": frozenset({2, 4}),
    "application_status": frozenset({2}),
    "passport_documents": frozenset({1}),
    "benefits_pensions": frozenset({3}),
    "contact_data_change": frozenset({2}),
    "service_centre_appointment": frozenset({1}),
    "taxes_fines": frozenset({3}),
    "electronic_signature": frozenset({3}),
}

# lemma -> weight; 2 for words that alone decide the topic, 1 for words that lean towards it
KEYWORDS: dict[str, dict[str, float]] = {
    "restore_access": {
        "пароль": 2, "авторизация": 2, "логин": 2, "войти": 1.5, "вход": 1.5, "зайти": 1.5, "заблокировать": 1.5,
        "блокировка": 1.5, "восстановить": 1, "восстановление": 1, "доступ": 1, "код": 1, "смс": 0.5,
        "учетный": 0.5, "попытка": 1, "ошибка": 1, "поддержка": 1,
    },
    "application_status": {
        "заявление": 2, "статус": 2, "ведомство": 2, "рассмотрение": 2, "рассматриваться": 2, "отказ": 1.5,
        "отказать": 1.5, "отклонить": 1.5, "срок": 0.5, "услуга": 0.5, "подать": 0.5, "решение": 1,
        "несоответствие": 1.5,
    },
    "passport_documents": {
        "паспорт": 2, "загранпаспорт": 2.5, "загран": 2, "замена": 1, "поменять": 0.5, "потерять": 1.5,
        "украсть": 1.5, "утрата": 1.5, "пропасть": 1, "удостоверение": 0.5, "сорок": 1, "пять": 0.3,
        "свидетельство": 1, "миграция": 1.5,
    },
    "benefits_pensions": {
        "пособие": 2, "пенсия": 2.5, "пенсионный": 2, "выплата": 2, "перерасчет": 2, "пересчитать": 2,
        "стаж": 2, "соцзащита": 2, "социальный": 1, "фонд": 1, "капитал": 1.5, "материнский": 1.5,
        "ребенок": 0.5, "платить": 0.5, "уволиться": 1,
    },
    "contact_data_change": {
        "почта": 1.5, "электронный": 0.3, "ящик": 1.5, "телефон": 1, "номер": 0.3, "мобильный": 1, "сим": 1,
        "сим-карта": 1.5, "адрес": 1.5, "регистрация": 0.5, "прописка": 1, "переехать": 1.5, "профиль": 1,
        "сменить": 1, "поменять": 1, "изменить": 1, "указать": 0.5, "обновиться": 1, "контактный": 1.5,
    },
    "service_centre_appointment": {
        "мфц": 2.5, "записаться": 1.5, "запись": 1.5, "окно": 1.5, "очередь": 1.5, "прием": 1, "перенести": 1.5,
        "отменить": 1, "офис": 1, "центр": 0.5, "обслуживание": 1, "талон": 1.5, "готовый": 1,
    },
    "taxes_fines": {
        "налог": 2.5, "налоговый": 1.5, "штраф": 2.5, "гибдд": 2.5, "вычет": 2.5, "инн": 1.5, "начислить": 2,
        "начисление": 2, "пеня": 2, "квитанция": 1, "декларация": 1.5, "ндфл": 2, "имущество": 1.5,
        "оплатить": 1, "задолженность": 1.5, "превышение": 1, "квартира": 0.5, "машина": 0.5, "налоговая": 1.5,
    },
    "electronic_signature": {
        "подпись": 2.5, "подписать": 2, "госключ": 3, "ключ": 1, "сертификат": 2.5, "удостоверяющий": 2,
        "токен": 2, "эцп": 3, "кэп": 3, "отозвать": 1.5, "ип": 1, "предприниматель": 1.5, "отчетность": 1,
        "квалифицированный": 2,
    },
}

_ALL_KEYWORDS = sorted({w for words_ in KEYWORDS.values() for w in words_})

# short statements of each topic in the hotline's words, written for this catalogue (not taken from any data set)
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "restore_access": (
        "Не могу войти в личный кабинет на госуслугах.",
        "Забыл пароль и не получается восстановить доступ.",
        "Не приходит код подтверждения по смс при входе.",
        "Учётная запись заблокирована, пишет ошибку авторизации.",
    ),
    "application_status": (
        "Что с моим заявлением, какой у него статус?",
        "Заявление давно в ведомстве, а решения всё нет.",
        "Мне отказали в услуге, не понимаю почему.",
        "Сколько дней рассматривается заявление на услугу?",
    ),
    "passport_documents": (
        "Нужно заменить паспорт, какие документы нужны?",
        "Потерял паспорт, как получить новый?",
        "Загранпаспорт до сих пор не готов.",
        "Как оформить новый паспорт и сколько ждать?",
    ),
    "benefits_pensions": (
        "Не пришло пособие на ребёнка.",
        "Почему не пересчитали пенсию?",
        "Как получить справку о размере пенсии?",
        "Перестали платить социальную выплату.",
    ),
    "contact_data_change": (
        "Хочу поменять номер телефона в профиле.",
        "Как изменить электронную почту в личном кабинете?",
        "В профиле указан старый адрес, нужно обновить после переезда.",
        "Сменил сим-карту, как указать новый номер?",
    ),
    "service_centre_appointment": (
        "Не могу записаться в МФЦ, нет свободного времени.",
        "Как перенести или отменить запись в МФЦ?",
        "Пришёл в МФЦ за документами, а они не готовы.",
        "В центре обслуживания огромная очередь.",
    ),
    "taxes_fines": (
        "Оплатил штраф, а он всё ещё висит неоплаченным.",
        "Неправильно начислили налог на имущество.",
        "Как получить налоговый вычет?",
        "Пришло уведомление о задолженности по налогу.",
    ),
    "electronic_signature": (
        "Не получается подписать документ электронной подписью.",
        "Ошибка в приложении Госключ.",
        "Как получить квалифицированную электронную подпись?",
        "Сертификат электронной подписи отозван или истёк.",
    ),
}


@dataclass(frozen=True)
class TopicSettings:
    # how much one keyword point in the complaint counts against one unit of prototype cosine, and one point
    # in the rest of the conversation (the operator's answer names the subject too). Tuned on the tune calls'
    # ASR transcripts and reference text: accuracy is flat for context weights 0.05-0.15; the middle is taken
    keyword_weight: float = 0.15
    context_weight: float = 0.1
    # below this the complaint is about something outside the catalogue
    min_score: float = 0.35


@lru_cache(maxsize=1)
def _prototype_vectors() -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(t for t in PROTOTYPES for _ in PROTOTYPES[t])
    return names, encoder.embed([p for t in PROTOTYPES for p in PROTOTYPES[t]])


def prototype_similarity(vectors: np.ndarray) -> np.ndarray:
    """(n, catalogue topics without 'other'): each topic's best prototype cosine."""
    names, protos = _prototype_vectors()
    sims = vectors @ protos.T
    catalogue = [t for t in TOPICS if t != OTHER]
    return np.stack([sims[:, [i for i, n in enumerate(names) if n == t]].max(axis=1) for t in catalogue], axis=1)


# speech recognition mangles exactly the domain words («гасключ», «по роли», «загран паспорт»): a word whose
# sound (lemmas.sound_key) is this close to a keyword's (rapidfuzz ratio, 0-100) counts as that keyword at
# half weight
FUZZY_RATIO = 85
FUZZY_MIN_LENGTH = 5
_KEYWORD_SOUNDS = {sound_key(w): w for w in _ALL_KEYWORDS if len(w) >= FUZZY_MIN_LENGTH}


@lru_cache(maxsize=100_000)
def _fuzzy_keyword(word: str) -> str | None:
    """The keyword `word` sounds like, or that it starts with by sound: the recogniser often gets a keyword's
    stem right and its ending wrong («подписчик», «подписья» for «подпись»)."""
    if len(word) < FUZZY_MIN_LENGTH:
        return None
    heard = sound_key(word)
    match = process.extractOne(heard, list(_KEYWORD_SOUNDS), scorer=fuzz.ratio, score_cutoff=FUZZY_RATIO)
    if match:
        return _KEYWORD_SOUNDS[match[0]]
    stems = [s for s in _KEYWORD_SOUNDS if len(s) >= FUZZY_MIN_LENGTH and heard.startswith(s)]
    return _KEYWORD_SOUNDS[max(stems, key=len)] if stems else None


def keyword_scores(text: str) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    # the recogniser hyphenates compounds at will («гран-паспорт»): each part is a word of its own too
    found = set(lemmas(text)) | set(lemmas(text.replace("-", " ")))
    heard = [w.replace("-", "") for w in words(text)]
    # a word split in two by the recogniser («загран паспорт», «за гран-паспорт») is tried joined as well,
    # and a word is tried as heard too: its dictionary form may be a real, unrelated word («пороли» -> «пороть»)
    near = {_fuzzy_keyword(w) for w in (*found, *heard, *(a + b for a, b in zip(heard, heard[1:])))}
    near -= found | {None}
    catalogue = [t for t in TOPICS if t != OTHER]
    hits = [tuple(sorted(w for w in KEYWORDS[t] if w in found or w in near)) for t in catalogue]
    scores = [sum(KEYWORDS[t][w] * (1.0 if w in found else 0.5) for w in h) for t, h in zip(catalogue, hits)]
    return np.array(scores), hits


def assign_topics(call_ids: Sequence[str], complaints: Sequence[str], vectors: np.ndarray,
                  call_texts: Sequence[str] | None = None,
                  settings: TopicSettings = TopicSettings()) -> list[TopicAssignment]:
    """`vectors` are the complaints' embeddings (encoder.embed), computed once for clustering and topics;
    `call_texts` the calls' words about the matter (complaints.call_context), where they are at hand."""
    catalogue = [t for t in TOPICS if t != OTHER]
    proto = prototype_similarity(vectors) if len(complaints) else np.zeros((0, len(catalogue)))
    out = []
    contexts = call_texts if call_texts is not None else [""] * len(complaints)
    for call_id, text, context, p in zip(call_ids, complaints, contexts, proto):
        if not text.strip():
            out.append(TopicAssignment(call_id, OTHER, 0.0, ()))
            continue
        kw, hits = keyword_scores(text)
        score = p + settings.keyword_weight * kw + settings.context_weight * keyword_scores(context)[0]
        best = int(np.argmax(score))
        topic = catalogue[best] if score[best] >= settings.min_score else OTHER
        out.append(TopicAssignment(call_id, topic, round(float(score[best]), 4),
                                   hits[best] if topic != OTHER else ()))
    return out


@dataclass(frozen=True)
class BranchRouting:
    ivr_branch: int
    calls: int
    misrouted: int

    @property
    def misrouting_rate(self) -> float:
        return self.misrouted / self.calls if self.calls else 0.0


def is_misrouted(topic: str, ivr_branch: int | None) -> bool | None:
    """None where it cannot be told: no branch recorded, or a topic outside the catalogue."""
    if ivr_branch is None or topic == OTHER:
        return None
    return ivr_branch not in TOPIC_BRANCHES[topic]


def misrouting_by_branch(routed: Iterable[tuple[str, int | None]]) -> list[BranchRouting]:
    """(topic, ivr_branch) per call -> per branch: calls whose topic could be judged, and how many were misrouted."""
    calls: Counter[int] = Counter()
    wrong: defaultdict[int, int] = defaultdict(int)
    for topic, branch in routed:
        verdict = is_misrouted(topic, branch)
        if verdict is None:
            continue
        calls[branch] += 1
        wrong[branch] += verdict
    return [BranchRouting(b, calls[b], wrong[b]) for b in sorted(calls)]
