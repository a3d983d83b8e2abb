"""A readable name for a complaint cluster: its top lemmatised keywords and the complaint that says it best.

Keywords are dictionary words only: a word speech recognition garbled the same way in several calls
(«фертификат», «подписья») is typical of a cluster by the numbers, but a supervisor cannot read it.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
import numpy as np

from insights.lemmas import content_lemmas
from insights.records import ClusterLabel
from kernel.language import is_dictionary_word

KEYWORDS_PER_LABEL = 5
# a quote is read by a person: among the most typical complaints prefer one that is not a monologue
QUOTE_CANDIDATES = 5
QUOTE_MAX_CHARS = 240


def document_frequency(texts: Sequence[str]) -> tuple[Counter[str], int]:
    """In how many complaints each lemma occurs: what makes a word typical of one cluster rather than of all."""
    return Counter(lemma for t in texts for lemma in set(content_lemmas(t))), len(texts)


def label_cluster(cluster_id: int, texts: Sequence[str], vectors: np.ndarray, centroid: np.ndarray,
                  frequency: tuple[Counter[str], int]) -> ClusterLabel:
    """`texts`/`vectors`: the cluster's complaints; `frequency`: document_frequency over all complaints."""
    df, total = frequency
    in_cluster = Counter(lemma for t in texts for lemma in set(content_lemmas(t)) if is_dictionary_word(lemma))
    # share of the cluster's complaints that use the lemma, weighted by how rare it is elsewhere
    scored = sorted(((count / len(texts)) * math.log((1 + total) / (1 + df.get(lemma, 0))), lemma)
                    for lemma, count in in_cluster.items() if count >= min(2, len(texts)))
    keywords = tuple(lemma for _, lemma in reversed(scored[-KEYWORDS_PER_LABEL:]))
    order = np.argsort(-(vectors @ centroid))[:QUOTE_CANDIDATES]
    short = [i for i in order if len(texts[i]) <= QUOTE_MAX_CHARS]
    quote = texts[short[0] if short else order[0]] if len(texts) else ""
    return ClusterLabel(cluster_id, keywords, quote)
