from slugs.slug import slugify, unique_slug


def test_slugify():
    assert slugify("Hello, World!") == "hello-world"


def test_digits_only():
    assert slugify("2024") == "2024"


def test_only_punctuation():
    assert slugify("---") == ""


def test_max_length():
    assert slugify("a" * 60 + " b") == "a" * 50


def test_unique():
    assert unique_slug("Post", {"post", "post-2"}) == "post-3"
