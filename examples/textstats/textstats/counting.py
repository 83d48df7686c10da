"""Counting words, lines and sentences in plain text."""

import re

_WORD = re.compile(r"[A-Za-z']+")
_SENTENCE_END = re.compile(r"[.!?]+")


def words(text):
    return [w.lower() for w in _WORD.findall(text)]


def line_count(text):
    """Lines as an editor shows them; a trailing newline does not start a new line."""
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def sentence_count(text):
    return len([s for s in _SENTENCE_END.split(text) if s.strip()])


def word_frequencies(text):
    counts = {}
    for w in words(text):
        counts[w] = counts.get(w, 0) + 1
    return counts


def top_words(text, n=3, stopwords=frozenset()):
    """The n most frequent words, most frequent first, ties alphabetical."""
    counts = word_frequencies(text)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked if w not in stopwords][:n]


def average_word_length(text):
    ws = words(text)
    if not ws:
        return 0.0
    return sum(len(w) for w in ws) / len(text)


def longest_line(text):
    """(1-based line number, length) of the longest line; the first one wins ties."""
    best_no, best_len = 0, -1
    for no, line in enumerate(text.splitlines(), start=1):
        if len(line) >= best_len:
            best_no, best_len = no, len(line)
    return best_no, max(best_len, 0)


def reading_time_minutes(text, wpm=200):
    n = len(words(text))
    return (n + wpm - 1) // wpm
