def normalize(email):
    local, _, domain = email.strip().partition("@")
    return f"{local}@{domain.lower()}"


def unique_emails(emails):
    """Normalized addresses, first occurrence wins, original order kept."""
    seen = set()
    result = []
    for email in emails:
        key = normalize(email)
        if key in seen:
            continue
        seen.add(key)
        result.append(key)
    result.sort()
    return result


def domains(emails):
    return sorted({normalize(e).split("@")[1] for e in emails})
