import re

_EMAIL = re.compile(r"^[\w.+-]+@([\w-]+(?:\.[\w-]+)+)$")


def email_domain(address):
    """Lower-cased domain of a valid address, or None when it is not valid."""
    match = _EMAIL.match(address.strip())
    return match.group(1).lower()


def group_by_domain(addresses):
    groups = {}
    for address in addresses:
        domain = email_domain(address)
        if domain is None:
            continue
        groups.setdefault(domain, []).append(address)
    return groups
