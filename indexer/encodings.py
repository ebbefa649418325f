"""Bytes to text: which encoding a report file is in, decided by how its text reads.

Byte rules alone cannot tell the Chinese encodings apart: GB18030 accepts
almost any byte sequence, Big5 files included, and turns them into rare
characters and kana ("關於攀枝花市東區" saved as Big5 reads as "闽胟狵カ狥跋").
So every candidate encoding decodes a sample, and the reading whose Chinese
characters are common ones wins.  A character is common when jieba's
dictionary knows it as a word of its own (Traditional characters are looked
up through their Simplified form); in the real reports about 1 character in
500 is not, in a wrong reading about 2 in 5.

A file that reads as ordinary text in no candidate encoding is refused with
one line, never indexed as mojibake.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections import Counter
from functools import lru_cache

from .analysis import is_cjk, normalize


class DecodeError(Exception):
    """Bytes that are not text in any encoding we read: the message says why, in one line."""


# tried in this order; on a tie the earlier one wins
CANDIDATES = (("utf-8", "UTF-8"), ("gb18030", "GB18030"), ("cp950", "Big5"), ("big5hkscs", "Big5-HKSCS"),
              ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE"))
SAMPLE_BYTES = 1 << 20          # the encoding is chosen on the first megabyte
SCORED_CHARS = 200_000          # of which this many characters are scored
# a character rarer than this (jieba's count) is suspect when it stands for a whole word
RARE_BELOW = 50
# the share of suspect characters above which a reading is not plausible text
# (real reports: under 1%; a wrong reading: 40% and more)
IMPLAUSIBLE_SHARE = 0.15
# below this many scored characters a reading is too short to refuse
MIN_EVIDENCE = 8


@lru_cache(maxsize=65536)
def char_frequency(ch: str) -> int:
    """How often jieba's dictionary counts the character as a word (Traditional via Simplified)."""
    from .analysis import char_frequencies

    return char_frequencies().get(normalize(ch), 0)


# blocks of the punctuation and symbols Chinese text uses beside its characters:
# Latin-1, Greek, general punctuation to geometric shapes (‰ ℃ Ⅳ → ≥ ① ─ ■),
# CJK symbols, kana, bopomofo, enclosed and compatibility forms (㈠ ㎡), full-width forms
_CHINESE_TEXT_BLOCKS = ((0x00A0, 0x00FF), (0x0370, 0x03FF), (0x2000, 0x27BF), (0x3000, 0x30FF),
                        (0x3100, 0x312F), (0x3200, 0x33FF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))


def _suspect(ch: str, any_script: bool) -> bool | None:
    """True for a character a wrong decoding produces, False for an ordinary one,
    None for characters that say nothing either way (ASCII, spaces).

    ``any_script``: the bytes are valid UTF-8, so letters of any script are as
    written (a Uyghur or Tibetan report); a legacy decoding that produces them
    has gone wrong."""
    if is_cjk(ch):
        return char_frequency(ch) < RARE_BELOW
    cat = unicodedata.category(ch)
    if ch.isspace() or cat == "Cc" or (ord(ch) < 128 and ch.isprintable()):
        return None                       # control characters are bytes every reading shares
    if ch == "\ufffd" or cat in ("Co", "Cn", "Cs"):
        return True
    if any_script:
        return None
    cp = ord(ch)
    return not any(lo <= cp <= hi for lo, hi in _CHINESE_TEXT_BLOCKS)


def suspect_share(text: str, any_script: bool = False) -> tuple[float, int]:
    """(share of suspect characters among those that tell, how many told)."""
    suspect = telling = 0
    for ch, n in Counter(text[:SCORED_CHARS]).items():
        verdict = _suspect(ch, any_script)
        if verdict is None:
            continue
        telling += n
        suspect += n if verdict else 0
    return (suspect / telling if telling else 0.0), telling


def _plausible(share: float, evidence: int) -> bool:
    return share <= IMPLAUSIBLE_SHARE or evidence < MIN_EVIDENCE


def _reading(sample: bytes, codec: str, whole: bool) -> tuple[float, int, int]:
    """How the sample reads in one encoding: (suspect share, evidence, invalid bytes)."""
    any_script = codec == "utf-8" and _strict_utf8(sample, whole)
    if codec.startswith("utf-16"):
        sample = sample[:len(sample) // 2 * 2]
    text = sample.decode(codec, errors="replace")
    if not whole:
        text = text.rstrip("\ufffd")             # a character cut by the sample's end
    return (*suspect_share(text, any_script), text.count("\ufffd"))


def choose_encoding(sample: bytes, whole: bool = True, utf16: bool = True,
                    only_utf16: bool = False) -> tuple[str, str] | None:
    """(codec, label) of the most plausible reading of ``sample``, or None if none is.

    ``whole``: the sample is the whole file (else its end may cut a character).
    """
    best = None
    for codec, label in CANDIDATES:
        is_utf16 = codec.startswith("utf-16")
        if (is_utf16 and not utf16) or (only_utf16 and not is_utf16):
            continue
        share, evidence, invalid = _reading(sample, codec, whole)
        if codec == "utf-8" and _strict_utf8(sample, whole) and _plausible(share, evidence):
            return codec, label                   # the usual case: valid UTF-8 that reads well
        # of the plausible readings, the one with fewest bytes it cannot read, then the one that
        # reads best: a Hong Kong file's HKSCS characters (倮) are invalid Big5 and rare words
        if _plausible(share, evidence) and (best is None or (invalid, share) < best[0]):
            best = ((invalid, share), codec, label)
    return (best[1], best[2]) if best else None


def _strict_utf8(sample: bytes, whole: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return True
    except UnicodeDecodeError:
        return False


def _decode_all(data: bytes, codec: str, label: str, warnings: list[str]) -> str:
    if codec.startswith("utf-16"):
        data = data[:len(data) // 2 * 2]
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
        warnings.append(f"有 {text.count(chr(0xfffd))} 处字节不是有效的 {label}，已换成 \ufffd")
        return text


def decode_bytes(data: bytes) -> tuple[str, list[str]]:
    """Bytes to text and warnings; raises DecodeError with a one-line reason."""
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_all(data[3:], "utf-8", "UTF-8", warnings), warnings
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        return _decode_all(data[2:], codec, "UTF-16", warnings), warnings
    if data[:5] == b"%PDF-":
        raise DecodeError("这是 PDF 文件，不是文本：请改名为 .pdf，或先转成文本")
    if data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        raise DecodeError("这是 Office 或 ZIP 文件，不是文本：请改用正确的扩展名（如 .docx），或另存为 .txt")
    whole = len(data) <= SAMPLE_BYTES
    head = data[:65536]
    binary = bool(head) and sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12)) > 0.05 * len(head)
    if binary or b"\x00" in head:
        # UTF-16 without a byte order mark: ASCII in it is half NUL bytes, and a
        # Chinese character's low byte is a control byte one time in eight
        chosen = choose_encoding(data[:SAMPLE_BYTES], whole, only_utf16=True)
        if chosen:
            warnings.append(f"按 {chosen[1]} 解码（文件没有字节顺序标记 BOM）")
            return _decode_all(data, *chosen, warnings), warnings
        if binary:
            raise DecodeError("二进制数据，不是文本：没有可索引的文字")
    return _decode_legacy(data, whole, warnings)


def _decode_legacy(data: bytes, whole: bool, warnings: list[str]) -> tuple[str, list[str]]:
    """UTF-8, GB18030 or Big5 (or UTF-16 without NUL bytes): the one that reads best."""
    had_nul = b"\x00" in data
    if had_nul:
        data = data.replace(b"\x00", b"")
        warnings.append("已删去空字节（NUL）")
    chosen = choose_encoding(data[:SAMPLE_BYTES], whole, utf16=not had_nul)
    if chosen is None:
        raise DecodeError("无法解码的文本：按 UTF-8、GB18030、Big5、UTF-16 都读不成正常的中文，"
                          "请另存为 UTF-8 再索引")
    if chosen[0] != "utf-8":
        warnings.append(f"按 {chosen[1]} 解码")
    return _decode_all(data, *chosen, warnings), warnings
