INDENT = 2


def depth(line):
    text = line.strip()
    return (len(text) - len(text.lstrip(" "))) // INDENT


def parse_outline(text):
    """[(depth, title)] for each non-blank line of an indented outline."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        items.append((depth(line), line.strip()))
    return items
