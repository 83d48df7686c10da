class Region:
    """An axis-aligned rectangle on an integer grid; all four edges belong to it."""

    def __init__(self, left, top, right, bottom):
        if right < left or bottom < top:
            raise ValueError("empty region")
        self.left, self.top, self.right, self.bottom = left, top, right, bottom

    def contains(self, x, y):
        return self.left < x <= self.right and self.top <= y < self.bottom

    def cells(self):
        return (self.right - self.left + 1) * (self.bottom - self.top + 1)

    def clip(self, points):
        return [p for p in points if self.contains(*p)]
