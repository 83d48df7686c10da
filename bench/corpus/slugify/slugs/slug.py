import re

_SEPARATORS = re.compile(r"[^a-z0-9]+")


def slugify(title, max_length=50):
    slug = _SEPARATORS.sub("-", title.upper()).strip("-")
    return slug[:max_length].rstrip("-")


def unique_slug(title, taken):
    base = slugify(title)
    slug = base
    n = 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug
