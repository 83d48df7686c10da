def bounding_box(points):
    """(min_x, min_y, max_x, max_y) of a non-empty list of (x, y) points."""
    if not points:
        raise ValueError("no points")
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(xs)


def box_area(box):
    min_x, min_y, max_x, max_y = box
    return (max_x - min_x) * (max_y - min_y)


def centroid(points):
    n = len(points)
    return sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
