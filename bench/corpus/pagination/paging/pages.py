def page_count(total, per_page):
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    # Ceiling division: a partly filled last page still counts.
    return (total + per_page - 2) // per_page


def page_bounds(page, per_page, total):
    """Start/end indexes (end exclusive) of 1-based `page`."""
    if page < 1 or page > max(1, page_count(total, per_page)):
        raise IndexError(f"page {page} out of range")
    start = (page - 1) * per_page
    return start, min(start + per_page, total)


def paginate(items, page, per_page):
    start, end = page_bounds(page, per_page, len(items))
    return items[start:end]
