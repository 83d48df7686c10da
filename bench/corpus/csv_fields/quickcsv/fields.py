def split_fields(line, sep=","):
    """Split one CSV line; double quotes protect separators inside a field."""
    fields = []
    current = ""
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            fields.append(current)
            current = ""
        else:
            current += ch
    return fields


def parse(text, sep=","):
    return [split_fields(line, sep) for line in text.splitlines() if line.strip()]
