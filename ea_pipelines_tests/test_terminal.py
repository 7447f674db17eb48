"""Text for the terminal (ea_pipelines/terminal.py): every control and format character is shown as an escape."""

from __future__ import annotations

import io
import logging
import sys
import unicodedata

import pytest

from ea_pipelines.terminal import TerminalFormatter, printable

#: every character a terminal may obey: C0, DEL, C1, and every Unicode format character (bidi overrides and
#: isolates, zero-width characters), line and paragraph separators; generated from the code points
HOSTILE = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + [
    chr(c) for c in range(0xA0, sys.maxunicode + 1)
    if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp")]


def unsafe(text: str, newlines: bool = False) -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
            and not (newlines and c in "\n\t")]


def test_the_hostile_set_has_what_the_issue_names() -> None:
    assert {"\x1b", "\x07", "\x7f", "\x9b", "\u202e", "\u2066"} <= set(HOSTILE) and len(HOSTILE) > 150


@pytest.mark.parametrize("newlines", [False, True])
def test_every_control_and_format_character_is_escaped(newlines: bool) -> None:
    for ch in HOSTILE:
        shown = printable(f"a{ch}b", newlines=newlines)
        if newlines and ch in "\n\t":
            assert shown == f"a{ch}b"
        else:
            assert unsafe(shown) == [] and shown.startswith("a\\") and shown.endswith("b")
            assert shown[1:-1] == (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def test_the_issue_s_file_name_is_shown_not_obeyed() -> None:
    name = "\x1b]0;TITLE\x07\x1b[31mRED\x1b[0m.csv"
    assert printable(name) == "\\x1b]0;TITLE\\x07\\x1b[31mRED\\x1b[0m.csv"
    assert printable(b"bytes \x1b".decode("utf-8", "surrogateescape") + "\udce9") == "bytes \\x1b\\udce9"


@pytest.mark.parametrize("text", ["plain ascii", "Hengelo (O.) één café €", "Ærø 東京 😀", "tab\tand\nline"])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert printable(text, newlines=True) == text


def test_the_terminal_formatter_escapes_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TerminalFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.terminal")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("file %s rejected:\nline two", "\x1b[31mred\u202e.csv")
        try:
            raise ValueError("\x07bell")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    written = stream.getvalue()
    assert unsafe(written, newlines=True) == []
    assert "file \\x1b[31mred\\u202e.csv rejected:\nline two" in written and "ValueError: \\x07bell" in written
