def has_extension(name, extensions):
    name = name.lower()
    return any(name.startswith(ext.lower()) for ext in extensions)


def is_hidden(name):
    return name.startswith(".")


def select(names, extensions, include_hidden=False):
    out = []
    for name in names:
        if is_hidden(name) and not include_hidden:
            continue
        if has_extension(name, extensions):
            out.append(name)
    return out
