"""Text printed to a terminal: control characters shown, never obeyed.

A partner's file name such as ``\\e]0;TITLE\\a\\e[31mRED\\e[0m.csv`` would set the terminal's title and colours
(and worse: rewrite what earlier lines said, or reorder text with bidirectional overrides). Every name and text
``ea-pipelines`` prints passes :func:`printable` (the summary, the progress lines, the warnings) or
:class:`TerminalFormatter` (log records on the terminal): C0 and C1 control characters, DEL and the Unicode
format characters (bidirectional overrides and isolates, zero-width characters) are replaced by their
``\\x1b`` / ``\\u202e`` escape, so the name stays recognisable and nothing reaches the terminal as a control.
"""

from __future__ import annotations

import logging
import unicodedata

#: the whitespace a multi-line message may keep
_KEEP = frozenset("\n\t")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    # Cf: format characters (bidi overrides U+202A-E and isolates U+2066-9, zero-width joiners, soft hyphen...);
    # Cs: lone surrogates (undecodable bytes of a file name); Zl/Zp: line and paragraph separators
    return code > 0x9F and unicodedata.category(ch) in ("Cf", "Cs", "Zl", "Zp")


def printable(text: object, *, newlines: bool = False) -> str:
    """``text`` with every control or format character replaced by its escape; ``newlines``: keep line breaks
    and tabs (a multi-line message), else escape them too (a name)."""
    out = text if isinstance(text, str) else str(text)
    if out.isascii() and out.isprintable():
        return out
    return "".join(_escape(ch) if _unsafe(ch) and not (newlines and ch in _KEEP) else ch for ch in out)


class TerminalFormatter(logging.Formatter):
    """A formatter for a terminal handler: the formatted record (message, exception) through :func:`printable`."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), newlines=True)
