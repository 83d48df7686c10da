from mailing.emails import domains, normalize, unique_emails


def test_keeps_first_seen_order():
    assert unique_emails(["b@x.org", "a@x.org", "b@X.org"]) == ["b@x.org", "a@x.org"]


def test_order_across_domains():
    assert unique_emails(["z@b.io", "y@a.io"]) == ["z@b.io", "y@a.io"]


def test_input_list_left_alone():
    emails = ["b@x.org", "a@x.org"]
    unique_emails(emails)
    assert emails == ["b@x.org", "a@x.org"]


def test_whitespace_duplicates():
    assert unique_emails(["a@x.org", " a@x.org "]) == ["a@x.org"]


def test_local_part_case_kept():
    assert normalize("Bob@Example.COM") == "Bob@example.com"


def test_domains():
    assert domains(["a@B.org", "c@a.org", "d@b.org"]) == ["a.org", "b.org"]
