"""Where personal data sits in a piece of text: character spans with their kind, in the text's own offsets.

Document numbers, phones and cards are found on the digits of number runs (digits or words, see numbers.py)
and take their kind from their check digits, their shape and the words before them; a long number that fits
none is masked all the same unless it is one of the hotline's own records (a request, an application).
Names come from natasha's NER, addresses from natasha's address grammar plus house and flat numbers read out
in words, dates from natasha's date grammar plus dates read out in words, e-mails written or dictated.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

from threadpoolctl import threadpool_limits

from kernel.language import morph
from privacy.checksums import inn_valid, luhn_valid, snils_valid
from privacy.numbers import NUMBER_RUN, NUMBER_WORDS, DigitGroup, digit_groups, readings



@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str


# --- numbers -------------------------------------------------------------------------------------------

_CONTEXT_CHARS = 60
_CONTEXT = {
    # and as Whisper mishears them: «снил с», «Смилз», «снию»; «Стирия и номер»; «паспор»
    "snils": re.compile(r"снилс|\bсни[лю]|\bсмил|страхов\w* номер", re.I),
    "inn": re.compile(r"\bинн\b|налогоплательщик", re.I),
    "passport": re.compile(r"паспор|\bс\w?[еи]ри[яюи]\b", re.I),
    "card": re.compile(r"\bкарт", re.I),
    "phone": re.compile(r"телефон|мобильн|\bномер\b|позвон|перезвон|\bсотов", re.I),
    # numbers of the hotline's own records: a request, an application, a receipt
    "record": re.compile(r"обращени|заявлени|заявк|квитанци|договор|\bсч[её]т|\bпп\b|платёж|платеж", re.I),
}


def _context_kinds(before: str) -> list[str]:
    """The kinds the words just before a number name, nearest first."""
    hits = [(m.end(), kind) for kind, rx in _CONTEXT.items() for m in rx.finditer(before)]
    return [kind for _, kind in sorted(hits, reverse=True)]


def _number_kind(groups: list[DigitGroup], plus: bool, named: list[str]) -> str | None:
    digits = "".join(g.digits for g in groups)
    sizes = tuple(len(g.digits) for g in groups)
    n = len(digits)
    candidates = []
    if 16 <= n <= 19 and luhn_valid(digits):
        candidates.append("card")
    if n == 12 and inn_valid(digits):
        candidates.append("inn")
    if n == 11 and snils_valid(digits):
        candidates.append("snils")
    if (n == 11 and digits[0] in "78") or (n == 10 and (plus or (digits[0] == "9" and sizes[0] == 3))):
        candidates.append("phone")
    if n == 10 and (sizes in ((2, 2, 6), (4, 6)) or "passport" in named):
        candidates.append("passport")
    if n == 10 and inn_valid(digits) and "inn" in named:
        candidates.append("inn")
    if plus and "phone" in candidates:
        return "phone"
    if named[:1] == ["record"] and not {"card", "inn", "snils"} & set(candidates):
        return None
    for kind in named:
        if kind in candidates:
            return kind
    return candidates[0] if candidates else None


def _classify(groups: list[DigitGroup], run_start: int, plus: bool, named: list[str]) -> list[Found]:
    """Longest windows of groups, left to right, that make a document number, a card or a phone."""
    found = []
    i = 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            window = groups[i:j]
            if sum(len(g.digits) for g in window) > 19:
                continue
            kind = _number_kind(window, plus and i == 0, named)
            if kind:
                found.append(Found(run_start if i == 0 else window[0].start, window[-1].end, kind))
                i = j
                break
        else:
            i += 1
    return found


# the words before a number name it, not the number after it («Номер заявления 9,360789. Да, что? Хорошо, поняла.
# 1891621911523.»); a passport's series («номер 60 при 0,565,484») is too short to take the name away
_NAMING_DIGITS = 5


def _numbers(text: str) -> list[Found]:
    found = []
    named_from = 0
    for run in NUMBER_RUN.finditer(text):
        groups = digit_groups(run.group(), run.start())
        digits = sum(len(g.digits) for g in groups)
        plus = run.group().startswith("+") or run.group()[:5].lower() == "плюс "
        named = _context_kinds(text[max(named_from, run.start() - _CONTEXT_CHARS):run.start()])
        if digits >= _NAMING_DIGITS and not text[run.start() - 1:run.start()].isalpha():  # not «сто» in «просто»
            named_from = run.end()
        best = max((_classify(reading, run.start(), plus, named) for reading in readings(groups)),
                   key=lambda fs: sum(f.end - f.start for f in fs))
        if not best and "record" not in named:
            if digits >= _UNCHECKED_DIGITS or (digits >= _UNCHECKED_DIGITS - 1 and _dashed_triples(run.group())):
                best = [Found(run.start(), groups[-1].end, _likely_kind(digits, groups[0].digits, named))]
            elif digits >= _PHONE_START_DIGITS and _phone_start(groups, plus):
                best = [Found(run.start(), groups[-1].end, "phone")]
            elif (document := next((k for k in named if k in _NAMED_DIGITS), None)) \
                    and digits >= _NAMED_DIGITS[document] and not _AMOUNT.match(text, run.end()):
                best = [Found(run.start(), groups[-1].end, document)]
        found += best
    return found


# Whisper mishears a digit or two of a long dictation («4,106,193,648,09» for an 11-digit SNILS), and then no
# check digit holds. A long number that is not a request's is still masked, under the kind the words before it
# name or, failing that, the kind its length suggests: masking too much is the safe error here.
_UNCHECKED_DIGITS = 9


# Whisper writes a SNILS or a phone as dashed triples («829-897-95»); such a number stays masked with a digit
# less, where a request number is written otherwise («6042-5280»)
_DASHED_TRIPLES = re.compile(r"\d{3}-\d{3}-\d")


def _dashed_triples(run: str) -> bool:
    return bool(_DASHED_TRIPLES.match(run))


# Whisper also drops digits: «плюс 7,925,923», «8,957,1301». A shorter number read out after «плюс», or that
# opens like a Russian mobile (8, then 9..) with a digit more, so that a sum («8 950 000 рублей») stays, is
# still masked as a phone.
_PHONE_START_DIGITS = 7


def _phone_start(groups: list[DigitGroup], plus: bool) -> bool:
    first, rest = groups[0].digits, "".join(g.digits for g in groups[1:])
    return plus or (first == "8" and rest[:1] == "9" and len(rest) >= _PHONE_START_DIGITS)


# and a number a document's name comes before is masked with even fewer digits left («паспорт 63,36619», «серия и
# номер 77, 182,198»), unless it counts something; not so after «номер» or «телефон» alone, which come before
# request numbers and sums too
_NAMED_DIGITS = {"passport": 7, "snils": 7, "inn": 7, "card": 7}
_AMOUNT = re.compile(r"\s*(?:руб|р\.|₽|тыс|млн|коп|процент|%|лет|год|дн|мес|недел|минут|час|штук|раз)", re.I)


def _likely_kind(digits: int, first: str, named: list[str]) -> str:
    for kind in named:
        if kind != "record":
            return kind
    if digits >= 13:
        return "card"
    if digits == 12:
        return "inn"
    if digits == 11:
        return "phone" if first[:1] in "78" else "snils"
    return "passport" if digits == 10 else "snils"


# --- e-mail --------------------------------------------------------------------------------------------

_EMAIL_WRITTEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# «собак», «собаки»: as Whisper hears «собака»; a comma may follow it («собак, Рамбер.ру»)
_AT = re.compile(r"(?<![\w@])(?:собак[аи]?|собачка|@)(?!\w)", re.I)
_DOMAIN = re.compile(r"[\s,]*[\w-]+(?:\s*(?:\bточка\b|\.)\s*[\w-]+)+", re.I)
_MAILBOX_TOKEN = re.compile(r"([\w.\-]+)\s*$")
# words that lead up to a dictated address and are not part of the mailbox
_NOT_MAILBOX = {
    "почту", "почта", "почты", "почтой", "почте", "на", "мой", "моя", "мою", "адрес", "электронная", "электронную",
    "электронной", "пишите", "запишите", "записывайте", "это", "email", "e-mail", "имейл", "емейл", "мейл",
    "ящик", "новую", "новая", "новый", "вот", "да", "нет", "и", "а", "указать", "так", "ну", "в", "по",
}


def _emails(text: str) -> list[Found]:
    found = [Found(m.start(), m.end(), "email") for m in _EMAIL_WRITTEN.finditer(text)]
    for at in _AT.finditer(text):
        if at.group() == "@" and any(f.start <= at.start() < f.end for f in found):
            continue
        domain = _DOMAIN.match(text, at.end())
        if not domain:
            continue
        start = _mailbox_start(text, at.start())
        if start is not None:
            found.append(Found(start, domain.end(), "email"))
    return found + [f for f in _emails_without_at(text) if not any(e.start < f.end and f.start < e.end for e in found)]


def _mailbox_start(text: str, end: int) -> int | None:
    """Where the dictated mailbox before `end` begins: up to six tokens back, stopping at a word that leads up to
    an address; None when there is no mailbox token at all."""
    start, taken = end, 0
    while taken < 6:
        token = _MAILBOX_TOKEN.search(text, 0, start)
        if not token or token.group(1).lower() in _NOT_MAILBOX:
            break
        start, taken = token.start(1), taken + 1
    return start if taken else None


# an address whose «собака» Whisper lost in other words («вулкова 37.2 кг-мина точка ком», «Петров 72 с обакомой
# уточку ру») still ends in a dictated domain: from the mailbox to it, when the mailbox has digits (a site's
# name, «госуслуги точка ру», has none)
_DOMAIN_END = re.compile(r"(?<!\w)\w*точк\w*\s+(?:ру|ком|рф|нет|орг)(?!\w)", re.I)


def _emails_without_at(text: str) -> list[Found]:
    found = []
    for end in _DOMAIN_END.finditer(text):
        start = _mailbox_start(text, end.start())
        if start is not None and re.search(r"\d", text[start:end.start()]):
            found.append(Found(start, end.end(), "email"))
    return found


# --- dates ---------------------------------------------------------------------------------------------

_MONTH = r"(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)[яеа]"
ORDINAL = (r"(?:(?:двадцать|тридцать)\s+)?(?:перв|втор|трет|четвёрт|четверт|пят|шест|седьм|восьм|девят|десят"
            r"|одиннадцат|двенадцат|тринадцат|четырнадцат|пятнадцат|шестнадцат|семнадцат|восемнадцат"
            r"|девятнадцат|двадцат|тридцат)(?:ого|ое|ье|ьего|ьи|ий|ой|ая|ье)")
_YEAR_WORDS = r"(?:тысяча|две\s+тысячи)(?:\s+[а-яё]+){1,3}?\s+год[ау]?"
_YEAR_DIGITS = r"(?:1[,.]?9|2[,.]?0)\d\d"  # Whisper writes «1,970» as often as «1970»
_DATE_SPOKEN = re.compile(
    rf"(?<![\w])(?:\d{{1,2}}|{ORDINAL})\s+{_MONTH}"
    rf"(?:[\s,]+(?:{_YEAR_DIGITS}(?:\s*(?:года|году|год|г\.))?|{_YEAR_WORDS}))?(?!\w)",
    re.I,
)
_MONTH_WORD = re.compile(rf"(?<!\w){_MONTH[:-len('[яеа]')]}", re.I)
_DATE_NUMERIC = re.compile(r"(?<![\d.])(?:\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})(?!\d|\.\d)")


# a birth date whose day or month Whisper garbled («родился тримай 1,970 года», «26 ямбаря 111973 года»,
# «Анатольевна, в сейме октября 1,960 года», «дата рождения сеймгем варианта тысяча девятьсот восемьдесят два
# года»): from the words after «родился», «дата рождения» or a patronymic to the year
_PATRONYMIC = r"[а-яё]+(?:ович|евич|ьич|овна|евна|ична)(?!\w)"
_BIRTH_CUE = rf"(?:родил\w*|рождени[ея]|(?<!\w){_PATRONYMIC})"  # «порождение»: Whisper glues a prefix on
# after such a cue any number ending in three digits before «года» is the year, however garbled («1,097», «1199»)
_BIRTH_DATE = re.compile(
    rf"{_BIRTH_CUE}[\s,:]+((?:(?!{_BIRTH_CUE})[^\s.!?]+\s+){{0,4}}?"
    rf"(?:[\d,.]*\d{{3}}\s*(?:года|году|год|г\.)|{_YEAR_WORDS}))",
    re.I,
)
# «Иван Петрович работает с 2015 года»: a year after «с», «до», «после» is a period, not a birth date
_PERIOD = re.compile(r"(?<!\w)(?:с|со|до|после|от|по|за|к)\s+[\d,.]*\d{3}\s*год", re.I)


# a day, a month Whisper garbled or not, and a year: «13 севраля 1,968 года», «16-1,971 года»
_DAY_AND_YEAR = re.compile(
    rf"(?<![\d,.])\d{{1,2}}[\s,.\-]+(?:[а-яё.]+[\s,.\-]+)?\d?[,.]?{_YEAR_DIGITS}\s*(?:года|году|г\.)",
    re.I,
)


def _dates(text: str) -> list[Found]:
    found = [Found(m.start(), m.end(), "date") for m in _DATE_SPOKEN.finditer(text)]
    found += [Found(m.start(), m.end(), "date") for m in _DAY_AND_YEAR.finditer(text)]
    found += [Found(m.start(1), m.end(1), "date") for m in _BIRTH_DATE.finditer(text)
              if not _PERIOD.search(m.group(1))]
    found += [Found(m.start(), m.end(), "date") for m in _DATE_NUMERIC.finditer(text)]
    if _MONTH_WORD.search(text):  # natasha's grammar costs milliseconds; its dates all name a month
        found += [Found(m.start, m.stop, "date") for m in _natasha().dates(text)]
    return found


# --- addresses -----------------------------------------------------------------------------------------

_SETTLEMENT_ONLY = {"страна", "регион", "область", "край", "республика", "район", "город", "деревня", "село",
                    "посёлок", "поселок", "автономный округ"}
_WORD_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_HOUSE_PART = re.compile(
    rf"(?<!\w)(?:дом|д\.|корпус|корп\.|строение|стр\.|квартира|кв\.)\s*"
    rf"(?:\d+\s*[а-я]?(?!\w)|(?:(?:{_WORD_NUMBER})(?!\w)\s*)+)",
    re.I,
)
_STREET_TYPE = r"(?:улица|ул\.|проспект|пр-т|переулок|пер\.|бульвар|шоссе|площадь|набережная|проезд|аллея|тупик)"
_SETTLEMENT_TYPE = r"(?:город|г\.|село|деревня|посёлок|поселок|пгт)"
# streets and towns as Whisper writes them, in lower case too (natasha's grammar wants capitals)
_PLACE_PART = re.compile(
    rf"(?<!\w)(?:{_STREET_TYPE}\s+[а-яё][\w-]*|[а-яё][\w-]*(?:ая|ий|ой|ый)\s+{_STREET_TYPE}"
    rf"|(?P<town>{_SETTLEMENT_TYPE})\s+[а-яё][\w-]*)(?!\w)",
    re.I,
)
_PART_GAP = re.compile(r"[\s,]*")


# natasha's address grammar takes a tenth of a second on a long line, so it only reads sentences that name a
# street or a house
_ADDRESS_WORD = re.compile(
    r"(?<!\w)(?:улиц|ул\.|проспект|пр-т|переул|пер\.|шоссе|бульвар|б-р|площад|набережн|проезд|тупик|аллея"
    r"|микрорайон|мкр|дом|д\.|квартир|кв\.|корпус|строени)",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


def _addresses(text: str) -> list[Found]:
    parts = []
    for sentence in _SENTENCE.finditer(text):
        if _ADDRESS_WORD.search(sentence.group()):
            parts += [(sentence.start() + m.start, sentence.start() + m.stop, m.fact.type or "")
                      for m in _natasha().addresses(sentence.group())]
    parts += [(m.start(), m.end(), "дом") for m in _HOUSE_PART.finditer(text)]
    parts += [(m.start(), m.end(), "город" if m.group("town") else "улица") for m in _PLACE_PART.finditer(text)]
    parts.sort()
    found = []
    chain: list[tuple[int, int, str]] = []

    def close() -> None:
        # a town alone is not an address; a street with a house, or a house and a flat, is
        if len(chain) >= 2 and any(kind not in _SETTLEMENT_ONLY for _, _, kind in chain):
            found.append(Found(chain[0][0], max(end for _, end, _ in chain), "address"))

    for part in parts:
        if chain and part[0] < max(end for _, end, _ in chain):
            chain.append(part)
            continue
        if chain and _PART_GAP.fullmatch(text, max(end for _, end, _ in chain), part[0]):
            chain.append(part)
            continue
        close()
        chain = [part]
    close()
    return found


# --- names ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"[А-ЯЁа-яё]+(?:-[А-ЯЁа-яё]+)?")


# Whisper garbles the service an operator names into capitalised words the tagger takes for a person
# («Здравствуйте, Сужба Поддержки-Госусук»); a person's name holds none of these words
_SERVICE_WORDS = {"служба", "поддержка", "центр", "линия", "портал", "госуслуга", "контактный", "горячий",
                  "техническая", "технический", "единый", "сервис"}


def _names(text: str) -> list[Found]:
    found = [Found(start, stop, "name") for start, stop in _natasha().people(text)
             if (" " in text[start:stop].strip() or _person_tags(text[start:stop].strip()))
             and not _names_a_service(text[start:stop])]
    return found + _full_names(text) + _introduced_names(text) + _glued_names(text)


def _names_a_service(span: str) -> bool:
    return any(morph().parse(word)[0].normal_form in _SERVICE_WORDS
               for part in _WORD.findall(span) for word in part.split("-"))


# how an operator or a caller gives a name: «меня зовут …», «на связи …», «оператор …», «с вами говорит …»
_INTRODUCTION = re.compile(
    r"(?:(?P<said>меня\s+зовут|на\s+связи|с\s+вами\s+говорит)|(?P<post>оператор|специалист)|это)\s+([А-ЯЁа-яё]+)",
    re.I)
# what an operator says after their name in the greeting
_GREETING_GOES_ON = re.compile(r"[\s,.!]+(?:для\s+контрол|разговор\s+запис|чем\s+(?:я\s+)?(?:могу|вам)|слушаю)", re.I)
# after these words only a pronoun, a preposition, a particle or a conjunction is not a name
_NOT_NAME_TAGS = {"NPRO", "PREP", "PRCL", "CONJ", "INTJ", "ADVB", "Apro"}


def _introduced_names(text: str) -> list[Found]:
    """A first name right after an introduction: one the dictionary knows, in any case, or any capitalised word
    (Whisper turns «Ирина» into «Ивина»). After «меня зовут», «на связи», «с вами говорит» a lower-case word
    the dictionary does not know as a pronoun, a preposition or a particle is a name too, however Whisper
    spelt it («на связи повел» for Павел), and so is «она» before a pause («с вами говорит она,»); after
    «оператор», «специалист» (which «по налогам», «заблокировал» follow too) only a word it does not know at
    all («специалист отьяно» for Татьяна), or any such word the greeting goes on after («оператор повел для
    контроля качества…»)."""
    found = []
    for m in _INTRODUCTION.finditer(text):
        word = m.group(3)
        plain = len(word) >= 3 and not _word_tags(word) & _NOT_NAME_TAGS
        if "Name" in _person_tags(word) or word[0].isupper() or (m.group("said") and plain) \
                or (m.group("post") and len(word) >= 3 and not _word_tags(word)) \
                or (m.group("post") and plain and _GREETING_GOES_ON.match(text, m.end())) \
                or _ANNA_AS_SHE.match(text, m.start(3)):
            found.append(Found(m.start(3), m.end(3), "name"))
    return found + _names_after_garbled_introduction(text)


# Whisper garbles «на связи» into one word it makes up: «насляя», «нацлядя», «наслядели», «натрябили». The word
# after it is the name, however spelt («Насляя деревина» for Ирина); with none after it, the name ran into it
# («Да, наследенно.» for Анна)
_GARBLED_ON_LINE = re.compile(r"(?<!\w)на[сцт][лвр][яиеь][а-яё]*(?!\w)(?:[\s,]+([А-ЯЁа-яё]+))?", re.I)


def _names_after_garbled_introduction(text: str) -> list[Found]:
    found = []
    for m in _GARBLED_ON_LINE.finditer(text):
        garbled = m.group().split()[0].strip(",")
        if _word_tags(garbled) or "Patr" in _person_tags(garbled):
            continue
        found.append(Found(m.start(1), m.end(1), "name") if m.group(1) else Found(m.start(), m.end(), "name"))
    return found


# Whisper hears «Анна» as «она»: after an introduction and before a pause, «она» is the name
_ANNA_AS_SHE = re.compile(r"она\s*[,.!?]", re.I)


# Whisper runs an operator's name into the word before it: «операторанная», «операторально» (оператор Анна),
# «с вами говоританно», or breaks the two words elsewhere: «Опера Транна»
_GLUED_INTRODUCTION = re.compile(r"(?<!\w)(?:опера\s?то?р|специалист|говорит)[а-яё]+", re.I)


def _glued_names(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), "name") for m in _GLUED_INTRODUCTION.finditer(text)
            if not morph().word_is_known(m.group().lower().replace(" ", ""))]


@cache
def _word_tags(word: str) -> frozenset[str]:
    """Every grammeme of every parse the dictionary has for the word; none for a word it does not know."""
    if not morph().word_is_known(word.lower()):
        return frozenset()
    return frozenset(g for p in morph().parse(word) for g in p.tag.grammemes)


def _full_names(text: str) -> list[Found]:
    """Surname, first name and patronymic the tagger missed (a name opening a line, a name Whisper wrote in
    lower case): a patronymic with the first name and surname beside it, by the dictionary."""
    words = list(_WORD.finditer(text))
    found = []
    for i, word in enumerate(words):
        if "Patr" not in _person_tags(word.group()):
            continue
        first = i
        while first > 0 and i - first < 2 and _person_tags(words[first - 1].group()) & {"Name", "Surn"} \
                and text[words[first - 1].end():words[first].start()].strip() in ("", ","):
            first -= 1
        # a surname the dictionary does not know (or Whisper misspelt) still heads the name when capitalised
        # mid-sentence: «Меня зовут Либидев, Владимир Николаевич»
        if first > 0 and first < i and words[first - 1].group()[0].isupper() \
                and text[words[first - 1].end():words[first].start()].strip() in ("", ",") \
                and not re.search(r"[.!?]\s*$", text[:words[first - 1].start()]) and words[first - 1].start() > 0:
            first -= 1
        if first < i:
            found.append(Found(words[first].start(), word.end(), "name"))
    return found


@cache
def _person_tags(word: str) -> frozenset[str]:
    """Which of first name, surname, patronymic the dictionary knows a word as. It keeps a single-word finding of
    the tagger too, which takes a capitalised verb opening a sentence («Продиктуйте», «Соединяю») for a name."""
    return frozenset({"Name", "Surn", "Patr"} & {g for p in morph().parse(word) for g in p.tag.grammemes})


class _Natasha:
    """natasha's models, loaded once (about a second) and shared; its taggers are not safe across threads."""

    def __init__(self) -> None:
        from natasha import AddrExtractor, DatesExtractor, Doc, MorphVocab, NewsEmbedding, NewsNERTagger, Segmenter

        self._doc = Doc
        self._segmenter = Segmenter()
        self._ner = NewsNERTagger(NewsEmbedding())
        vocab = MorphVocab()
        self._addr = AddrExtractor(vocab)
        self._dates = DatesExtractor(vocab)
        self._lock = threading.Lock()

    def people(self, text: str) -> list[tuple[int, int]]:
        # the tagger's matrices are tiny: on a busy machine threaded BLAS made it 20 times slower
        with self._lock, threadpool_limits(1):
            doc = self._doc(text)
            doc.segment(self._segmenter)
            doc.tag_ner(self._ner)
        return [(span.start, span.stop) for span in doc.spans if span.type == "PER"]

    def addresses(self, text: str) -> list:
        with self._lock:
            return list(self._addr(text))

    def dates(self, text: str) -> list:
        with self._lock:
            return [m for m in self._dates(text) if m.fact.day is not None and m.fact.month is not None]


@cache
def _natasha() -> _Natasha:
    return _Natasha()


# --- all together --------------------------------------------------------------------------------------

_PRIORITY = {kind: n for n, kind in enumerate(("card", "inn", "snils", "passport", "phone", "email",
                                                 "address", "date", "name"))}


def find_pii(text: str) -> list[Found]:
    """Non-overlapping spans in text order; where two findings overlap they become one span of the kind
    that is more specific (a checked number over a name, an address over a date inside it)."""
    if not text.strip():
        return []
    found = _numbers(text) + _emails(text) + _addresses(text) + _dates(text) + _names(text)
    found.sort(key=lambda f: (f.start, -f.end))
    merged: list[Found] = []
    for f in found:
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            kind = min((last.kind, f.kind), key=_PRIORITY.__getitem__)
            merged[-1] = Found(last.start, max(last.end, f.end), kind)
        else:
            merged.append(f)
    return merged
