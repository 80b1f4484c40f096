"""Names (items, suppliers, regions, scenarios, the instance): what a name may hold, and how one
is shown on a terminal.

A name may not hold control characters (a NUL byte or an escape sequence would show one name as
another, or change the terminal), except line breaks and tabs, and may not start with ``=``,
``+``, ``-`` or ``@``: a spreadsheet opening the CSV files that jitopt writes would run such a
name as a formula. Refusing them (rather than escaping them with a quote) keeps every file
jitopt writes readable back as it was written: a plan's scenarios.csv and outages.csv can be
copied into an instance.
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_START = ("=", "+", "-", "@")
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a name, or None."""
    for char in name:
        if char not in _ALLOWED_CONTROLS and unicodedata.category(char) == "Cc":
            return f"contains the control character {char!r}: names must be plain text"
    if name.startswith(FORMULA_START):
        return (
            f"starts with {name[0]!r}, which a spreadsheet runs as a formula when it opens the "
            "CSV files jitopt writes: rename it"
        )
    return None


def shown(name) -> str:
    """``name`` safe to print on a terminal: control and other unprintable characters escaped."""
    text = str(name)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def slug(text: str, limit: int = 40) -> str:
    """``text`` as a folder name: runs of anything but letters, digits, ``.``, ``_``, ``-`` become
    one ``-`` (``jic:cover=2`` -> ``jic-cover-2``); at most ``limit`` characters."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:limit] or "x"
