import string


def clean(word):
    return word.strip(string.punctuation)


def longest_word(text):
    """The longest word (punctuation stripped); the first one wins ties."""
    best = ""
    for word in text.split():
        word = clean(word)
        if len(word) > len(best):
            best = word
    return word


def word_lengths(text):
    return [len(clean(w)) for w in text.split()]
