from __future__ import annotations

from treefix.sandbox.capture import CappedBuffer


def test_short_output_is_kept_whole():
    buf = CappedBuffer(limit=100, head=40)
    buf.feed(b"hello ")
    buf.feed(b"world\n")
    assert not buf.truncated
    assert buf.text() == "hello world\n"


def test_long_output_keeps_head_and_tail_and_says_how_much_was_dropped():
    buf = CappedBuffer(limit=100, head=40)
    data = b"".join(b"line %04d\n" % i for i in range(1000))  # 10 000 bytes
    for i in range(0, len(data), 7):  # odd chunk sizes, as pipes deliver them
        buf.feed(data[i : i + 7])
    assert buf.truncated
    text = buf.text()
    assert text.startswith(data[:40].decode())
    assert text.endswith(data[-60:].decode())
    assert f"[... {len(data) - 100} bytes not kept ...]" in text
    assert "line 0500" not in text


def test_exactly_at_the_limit_is_not_truncated():
    buf = CappedBuffer(limit=64, head=16)
    buf.feed(b"x" * 64)
    assert not buf.truncated
    assert buf.text() == "x" * 64
    buf.feed(b"y")
    assert buf.truncated


def test_small_limit_below_the_default_head_still_caps_and_keeps_the_tail():
    # LocalSandbox passes Limits.output_bytes as the limit with the default 64 KiB head:
    # a limit below that used to crash with IndexError on the first byte past the limit.
    buf = CappedBuffer(limit=1000)
    for _ in range(50):
        buf.feed(b"a" * 100)
    buf.feed(b"THE-END")
    assert buf.truncated
    text = buf.text()
    assert text.startswith("a")
    assert text.endswith("THE-END")  # the exit marker lives at the end: it must survive
    assert len(text.encode()) < 1000 + 100


def test_invalid_utf8_and_nul_bytes_are_replaced():
    buf = CappedBuffer(limit=1000)
    buf.feed(b"ok \xff\xfe bad \x00 nul \xe2\x82")  # last: a cut multi-byte sequence
    text = buf.text()
    assert "\x00" not in text
    assert text.startswith("ok ")
    assert " bad " in text and " nul " in text
    assert text.count("\ufffd") >= 4
    text.encode("utf-8")  # always valid text
