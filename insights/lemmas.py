"""The words that say what a complaint is about: the lemmas every keyword rule and label of insights uses."""
from __future__ import annotations

from kernel.language import reading, words

# parts of speech that carry what a complaint is about; pronouns, particles, conjunctions do not
CONTENT_POS = frozenset({"NOUN", "ADJF", "ADJS", "VERB", "INFN", "PRTF", "PRTS", "COMP", "NUMR", None})

# frequent in every complaint, so they say nothing about which one it is; English function words, which
# pymorphy3 gives no part of speech, among them
STOP_LEMMAS = frozenset("""
быть мочь хотеть сказать подсказать пожалуйста уже ещё еще вот так такой этот тот весь всё свой мой ваш наш
который сейчас тогда здравствуйте день добрый алло да нет ну вообще просто очень можно нужно надо сделать
говорить писать пишет делать знать понять ничего никто что как где когда почему сколько какой кто
the and but for all you your yours our ours they them their his her hers its this that these those are was were
been being does did have has had not yes can could will would shall should may might must from about into over
after before just very too also there here what which who whom whose when where why how then than some any now out
get got okay please hello thank thanks sorry well like know say said tell
""".split())


def content_lemmas(text: str) -> list[str]:
    """Lemmas of the words that say what the text is about, in order, repeats kept."""
    out = []
    for word in words(text):
        lemma, pos = reading(word).lemma, reading(word).pos
        if pos in CONTENT_POS and len(lemma) > 2 and lemma not in STOP_LEMMAS:
            out.append(lemma)
    return out
