"""Who speaks: the hotline's operators (a fixed roster, one voice each) and callers made up from a seed."""
from __future__ import annotations

import hashlib
import random

from demo_calls import pii
from demo_calls.records import Caller, Operator, Voice

FEMALE_VOICES = ("anna", "arina", "elena", "irina", "tatiana", "victoria")
MALE_VOICES = ("aleksandr", "artemiy", "evgeniy-rus", "mikhail", "pavel", "vitaliy", "yuriy")

FIRST_LINE = "first line"
TAX_AND_PENSION_LINE = "taxes and pensions specialists"
TECHNICAL_LINE = "technical support specialists"

# operators talk briskly, as on a busy line; RHVoice's default rate sounds slow for the job
OPERATORS = (
    Operator("op-01", "Анна", "f", Voice("anna", rate=118), FIRST_LINE, "Москва"),
    Operator("op-02", "Александр", "m", Voice("aleksandr", rate=122), FIRST_LINE, "Москва"),
    Operator("op-03", "Ирина", "f", Voice("irina", rate=115), FIRST_LINE, "Казань"),
    Operator("op-04", "Михаил", "m", Voice("mikhail", rate=120), FIRST_LINE, "Казань"),
    Operator("op-05", "Елена", "f", Voice("elena", rate=118), FIRST_LINE, "Новосибирск"),
    Operator("op-06", "Павел", "m", Voice("pavel", rate=124), FIRST_LINE, "Новосибирск"),
    Operator("op-07", "Татьяна", "f", Voice("tatiana", rate=115), TAX_AND_PENSION_LINE, "Москва"),
    Operator("op-08", "Юрий", "m", Voice("yuriy", rate=120), TECHNICAL_LINE, "Казань"),
)
FIRST_LINE_OPERATORS = tuple(op for op in OPERATORS if op.team == FIRST_LINE)
SPECIALISTS = {op.team: op for op in OPERATORS if op.team != FIRST_LINE}
# callers never share a voice with a specialist, so a transferred call always has three distinct voices
_SPECIALIST_VOICES = {op.voice.name for op in SPECIALISTS.values()}
CALLER_VOICES = {
    "f": tuple(v for v in FEMALE_VOICES if v not in _SPECIALIST_VOICES),
    "m": tuple(v for v in MALE_VOICES if v not in _SPECIALIST_VOICES),
}

_SURNAMES = (  # masculine form; the feminine adds «а»
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Беляев",
)
_FIRST_NAMES = {
    "m": ("Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл",
          "Михаил", "Никита", "Евгений", "Владимир", "Игорь", "Олег", "Виктор", "Николай", "Юрий"),
    "f": ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Екатерина",
          "Юлия", "Марина", "Галина", "Людмила", "Вера", "Надежда", "Дарья", "Ксения", "Валентина"),
}
_FATHERS = (  # (masculine patronymic, feminine patronymic)
    ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"), ("Викторович", "Викторовна"),
    ("Николаевич", "Николаевна"), ("Владимирович", "Владимировна"), ("Петрович", "Петровна"),
    ("Иванович", "Ивановна"), ("Михайлович", "Михайловна"), ("Андреевич", "Андреевна"),
    ("Юрьевич", "Юрьевна"), ("Олегович", "Олеговна"), ("Анатольевич", "Анатольевна"),
)
_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
           "октября", "ноября", "декабря")
# (city, region code used by INN and passport series)
_CITIES = (("Тверь", 69), ("Казань", 16), ("Самара", 63), ("Рязань", 62), ("Пермь", 59), ("Тула", 71),
           ("Омск", 55), ("Калуга", 40), ("Ярославль", 76), ("Москва", 77), ("Новосибирск", 54))
_STREETS = ("улица Ленина", "Советская улица", "улица Гагарина", "Садовая улица", "проспект Мира",
            "Лесная улица", "Школьная улица", "Молодёжная улица", "улица Победы", "Набережная улица")
_MAIL_DOMAINS = ("мейл точка ру", "яндекс точка ру", "джимейл точка ком", "рамблер точка ру", "бк точка ру")


def caller_id_for(phone: str) -> str:
    """Pseudonymous id the recording system derives from the caller's number."""
    return "c-" + hashlib.sha256(pii.digits_of(phone).encode()).hexdigest()[:12]


def make_caller(rng: random.Random) -> Caller:
    gender = rng.choice("mf")
    surname = rng.choice(_SURNAMES) + ("а" if gender == "f" else "")
    first = rng.choice(_FIRST_NAMES[gender])
    father = rng.choice(_FATHERS)[0 if gender == "m" else 1]
    city, region = rng.choice(_CITIES)
    year = rng.randint(1950, 2004)
    phone = pii.make_mobile(rng)
    voice = Voice(
        rng.choice(CALLER_VOICES[gender]),
        # callers get a slightly shifted voice so two callers on the same RHVoice voice still differ
        pitch=rng.choice((88, 94, 100, 106, 112)),
        rate=rng.choice((100, 106, 112, 118, 124)),
    )
    mailbox = f"{surname.lower()} {rng.choice((year % 100, year, rng.randint(1, 99)))}"
    return Caller(
        caller_id=caller_id_for(phone),
        gender=gender,
        voice=voice,
        full_name=f"{surname} {first} {father}",
        date_of_birth=f"{rng.randint(1, 28)} {rng.choice(_MONTHS)} {year} года",
        snils=pii.make_snils(rng),
        inn=pii.make_inn(rng, region),
        passport=pii.make_passport(rng, region),
        phone=phone,
        card_number=pii.make_card(rng),
        email=f"{mailbox} собака {rng.choice(_MAIL_DOMAINS)}",
        address=f"город {city}, {rng.choice(_STREETS)}, дом {rng.randint(1, 120)}, квартира {rng.randint(1, 240)}",
    )


def another_phone(rng: random.Random, caller: Caller) -> str:
    while (phone := pii.make_mobile(rng)) == caller.phone:
        pass
    return phone


def new_address(rng: random.Random) -> str:
    city, _ = rng.choice(_CITIES)
    return f"город {city}, {rng.choice(_STREETS)}, дом {rng.randint(1, 120)}, квартира {rng.randint(1, 240)}"


def another_email(rng: random.Random, caller: Caller) -> str:
    mailbox = caller.email.split(" собака ")[0].split(" ")[0]
    return f"{mailbox} {rng.randint(100, 999)} собака {rng.choice(_MAIL_DOMAINS)}"
