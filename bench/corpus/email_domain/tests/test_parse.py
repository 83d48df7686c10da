from contacts.parse import email_domain, group_by_domain


def test_valid():
    assert email_domain(" Ann@Example.COM ") == "example.com"


def test_invalid_is_none():
    assert email_domain("not an address") is None


def test_group_valid():
    assert group_by_domain(["a@x.org", "b@x.org"]) == {"x.org": ["a@x.org", "b@x.org"]}


def test_group_skips_invalid():
    assert group_by_domain(["a@x.org", "oops"]) == {"x.org": ["a@x.org"]}
