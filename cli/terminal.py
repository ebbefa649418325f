"""Text for a terminal or a log: nothing from a file, a title or a query may steer it.

File names, titles and report text are data.  A newline in one would forge a
line of output (``evil\\nfailed: fake.txt``), an ESC or OSC sequence would move
the cursor, recolour, retitle the window or plant a link, and a bidi override
would show a name reversed.  ``printable`` writes every such character as a
visible escape, so each value stays on its own line and looks like what it is.
"""

from __future__ import annotations

import json
import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, the bidi embeddings, overrides and isolates, the
# line and paragraph separators, and the BOM / zero-width no-break space
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(m: re.Match) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value) -> str:
    """``value`` as text with every control character shown as an escape."""
    return _UNSAFE.sub(_escape, str(value))


# JSON already escapes C0 controls; the others are legal in a JSON string but
# still act on a terminal, so they are written as \\u escapes (the same value)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def json_text(obj) -> str:
    """``obj`` as indented JSON (Chinese kept as is) that is safe to print."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                            json.dumps(obj, ensure_ascii=False, indent=1))


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character two, a combining mark none."""
    from wcwidth import wcwidth

    return sum(max(0, wcwidth(ch)) for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` columns (left-aligned, or right-aligned)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill
