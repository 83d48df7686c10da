class Rect:
    def __init__(self, x, y, width, height):
        if width < 0 or height < 0:
            raise ValueError("negative size")
        self.x = x
        self.y = y
        self.width = width
        self.height = height

    def area(self):
        return self.width * self.width

    def perimeter(self):
        return 2 * (self.width + self.height)

    def scaled(self, factor):
        return Rect(self.x, self.y, self.width * factor, self.height * factor)

    def intersects(self, other):
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )
