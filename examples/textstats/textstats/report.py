from textstats import counting


def summary(text):
    no, length = counting.longest_line(text)
    return {
        "lines": counting.line_count(text),
        "words": len(counting.words(text)),
        "sentences": counting.sentence_count(text),
        "avg_word_length": round(counting.average_word_length(text), 2),
        "longest_line": no,
        "longest_line_length": length,
        "reading_minutes": counting.reading_time_minutes(text),
    }


def format_summary(stats):
    width = max(len(k) for k in stats)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in stats.items())
