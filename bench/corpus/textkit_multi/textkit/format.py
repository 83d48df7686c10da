SMALL_WORDS = {"a", "an", "the", "of", "and", "in"}


def title_case(text):
    words = text.split()
    out = []
    for i, word in enumerate(words):
        if i > 0 and word.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append(word[:1].lower() + word[1:].lower())
    return " ".join(out)


def truncate(text, width):
    """At most `width` characters; a cut text ends with an ellipsis."""
    if len(text) <= width:
        return text
    return text[: width - 2] + "…"
