"""Word 97–2003 .doc → .docx by LibreOffice headless, then read as a .docx.

LibreOffice, not antiword or catdoc: measured on a .doc of a seed report (bench/readers.py),
antiword hard-wraps every line at 80 columns and cuts table cells to their column width
(指  标  名 for 指标名称), catdoc mixes control bytes into the text (ÿ@w›R) and loses the
numbering; LibreOffice keeps the heading styles, Word's numbering and the tables, which the
.docx reader then reads like any .docx.  It costs a process start (about 2 s a file).

Without LibreOffice the file fails with one line naming the Debian package to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from . import Extracted, FormatError
from .html import is_mht
from ..messages import one_line

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
WORD_STREAM = "WordDocument".encode("utf-16-le")   # every Word 97–2003 file's text stream, named in its directory
DEBIAN_PACKAGE = "libreoffice-writer-nogui"
TIMEOUT_S = 180


def converter() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(data: bytes, name: str = "") -> Extracted:
    from .docx import read_docx

    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:2] == b"PK":
        return read_docx(data)                   # a .docx named .doc
    if head[:1] == b"<":
        from .html import read_html
        return read_html(data)                   # a web page saved as .doc (Word's "HTML" export)
    if is_mht(head):
        from .html import mht_page, read_html
        return read_html(mht_page(data))        # Word's "single file web page" (.mht) named .doc
    if data[:8] != OLE_MAGIC and not head.startswith(b"{\\rtf"):
        raise FormatError("不是 Word .doc 文件：没有 Word 97–2003（OLE）文件头（是不是改错了扩展名？）")
    if data[:8] == OLE_MAGIC and WORD_STREAM not in data:
        # LibreOffice would read such a file as plain text and give its bytes as the report
        raise FormatError("不是 Word .doc 文件：这个 Office（OLE）文件里没有 Word 正文"
                          "（是 Excel 或 PowerPoint 文件改了扩展名，还是已损坏？）")
    soffice = converter()
    if soffice is None:
        raise FormatError(f"读 Word 97–2003 的 .doc 文件需要 LibreOffice：请先安装"
                          f"（Debian：apt-get install {DEBIAN_PACKAGE}），再重新索引")
    got = read_docx(_convert(soffice, data))
    got.reader = "doc (LibreOffice)"
    return got


# other word-processor files LibreOffice converts to .docx as it does a .doc: their names, and the
# test that the bytes are that format (an .odt is a ZIP naming its type first; RTF starts {\rtf)
CONVERTED = {".odt": ("OpenDocument 文本文件", lambda d: d[:2] == b"PK" and b"opendocument.text" in d[:200]),
             ".rtf": ("RTF 文件", lambda d: d.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"))}


def read_converted(data: bytes, suffix: str) -> Extracted:
    """An .odt or .rtf: converted to .docx by LibreOffice, then read as a .docx."""
    from .docx import read_docx

    name, is_format = CONVERTED[suffix]
    if not is_format(data):
        raise FormatError(f"不是 {name}（{suffix}）：文件头不对（是不是改错了扩展名？）")
    soffice = converter()
    if soffice is None:
        raise FormatError(f"读 {name}需要 LibreOffice：请先安装（Debian：apt-get install {DEBIAN_PACKAGE}），再重新索引")
    got = read_docx(_convert(soffice, data, suffix))
    got.reader = f"{suffix[1:]} (LibreOffice)"
    return got


def _convert(soffice: str, data: bytes, suffix: str = ".doc") -> bytes:
    with tempfile.TemporaryDirectory(prefix="govsearch-doc-") as tmp:
        src = os.path.join(tmp, "report" + suffix)
        with open(src, "wb") as fh:
            fh.write(data)
        # a profile of its own: parallel conversions (and a user's open LibreOffice) do not collide
        cmd = [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, src]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise FormatError(f"LibreOffice 在 {TIMEOUT_S} 秒内没有转换完这个 {suffix} 文件（文件太大或已损坏？）") from None
        out = os.path.join(tmp, "report.docx")
        if done.returncode != 0 or not os.path.exists(out):
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise FormatError(f"LibreOffice 转换不了这个 {suffix} 文件（已损坏或加了密？）"
                              + (f"（LibreOffice：{one_line(detail[-1])}）" if detail else ""))
        with open(out, "rb") as fh:
            return fh.read()
