"""Web pages → the report's lines: the main text (readability-lxml), the page's own metadata.

readability-lxml finds the article's element; trafilatura and jusText were measured beside
it on gov.cn-style pages made from the seed and provincial reports (bench/readers.py):
trafilatura drops the short lines (headings, 专栏 captions, table cells) it takes for
boilerplate and reorders nothing but loses units, and jusText has no Chinese stop list, so it
judges paragraphs by length alone and keeps nav and footer lines.  readability keeps the
whole article element, which this module then walks itself: block elements become lines,
tables one tab-indented line per cell with rows apart (as a .txt holds them), links are text
and never followed.

The declared encoding (BOM, <meta charset>, http-equiv) is honoured — GB2312 and GBK read as
GB18030, their superset — and a page that declares none, or the wrong one, is decided by how
its text reads (indexer/encodings.py).

Metadata: the government-site meta tags (ArticleTitle wins over the text as the title;
PubDate is the date where the text names none; ContentSource and SiteName say the issuer,
which gives the region where the text names none), <title> as a fallback title, and the
page's address from <link rel=canonical> or og:url.
"""

from __future__ import annotations

import re

from .. import encodings
from ..messages import library_detail
from . import Extracted, FormatError

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_CODECS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030", "cp936": "gb18030",
           "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "utf-8": "utf-8", "utf8": "utf-8"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article", "blockquote",
           "pre", "center", "dd", "dt", "ul", "ol", "dl", "header", "footer", "form", "address", "figure",
           "figcaption", "caption", "hr", "main", "aside", "nav"}
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "button", "select",
         "input", "textarea", "head", "title", "meta", "link"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def decode_page(data: bytes) -> str:
    """The page's text: its declared encoding when that reads it, else the plausible reading."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    m = _CHARSET.search(data[:4096])
    codec = _CODECS.get(m.group(1).decode("ascii").lower()) if m else None
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass                          # declared wrong: read it as its bytes say
    try:
        return encodings.decode_bytes(data)[0]
    except encodings.DecodeError as e:
        raise FormatError(str(e)) from None


# a MIME document: how Word's "single file web page" (.mht) begins, and many government sites'
# ".doc" downloads are exactly that
_MHT_START = re.compile(rb"(?i)(mime-version|content-type|from|subject|date|message-id)\s*:")


def is_mht(head: bytes) -> bool:
    return bool(_MHT_START.match(head[:200]))


def mht_page(data: bytes) -> bytes:
    """The web page a MIME (.mht) document carries: its first text/html part, in UTF-8
    with a BOM (its charset is the part's, not the page's meta tag's, when they differ)."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            body = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            if charset:
                try:
                    return b"\xef\xbb\xbf" + body.decode(charset, "replace").encode("utf-8")
                except LookupError:          # a charset Python does not know: the page says its own
                    pass
            return body
    raise FormatError("这是网页存档（MHT），但里面没有网页正文（text/html）")


def read_html(data: bytes) -> Extracted:
    import lxml.html

    text = decode_page(data)
    if "<" not in text[:4096]:
        raise FormatError("不是网页：文件里没有 HTML 标记")
    try:
        page = lxml.html.document_fromstring(_without_declaration(text))
    except (ValueError, lxml.etree.ParserError) as e:
        raise FormatError(f"网页无法解析{library_detail(e)}") from None
    meta = page_metadata(page)
    lines = main_text_lines(page, text)
    _refuse_error_page(page, lines)
    named = meta["fields"].get("title") or meta["fallback"].get("title", "")
    lines = _with_title(lines, _page_heading(page, named) or named)
    return Extracted(text="\n".join(lines), fields=meta["fields"], fallback=meta["fallback"], reader="html")


# what a site's error page says instead of the page asked for (404, 403, 500, a removed article)
_ERROR_PAGE = re.compile(r"\b(404|403|500|502|503)\b.{0,20}(not found|forbidden|error|错误|页面|找不到|不存在)"
                         r"|not found|页面(不存在|找不到|已删除|已被删除|无法访问|出错)|找不到(该|此|您要的)?页面"
                         r"|(您|你)(所)?访问的(页面|网页|文章|信息|内容).{0,10}(不存在|已被?删除|已下线|已过期|无法访问)"
                         r"|(页面|文章|信息|内容)已被?(删除|撤回|下线)|服务器(内部)?错误|访问被拒绝", re.I)
# an error page says so in a line or two; a report is thousands of characters
ERROR_PAGE_MAX_CHARS = 300


def _refuse_error_page(page, lines: list[str]):
    """A saved error page (404 页面不存在, 您访问的页面不存在或已被删除) is no report: refused,
    saying what it says, instead of indexed as a report of that one line."""
    if sum(len(line) for line in lines) > ERROR_PAGE_MAX_CHARS:
        return
    said = next((s for s in [_clean(page.findtext(".//title") or "")] + lines[:5] if _ERROR_PAGE.search(s)), "")
    if said:
        raise FormatError(f"这是网站的报错页（“{said[:40]}”），不是报告：未索引")


def _without_declaration(text: str) -> str:
    # lxml refuses a str that declares its own encoding
    return re.sub(r"^\s*<\?xml[^>]*\?>", "", text)


# --------------------------------------------------------------------------
# metadata


def _meta_values(page) -> dict[str, str]:
    values = {}
    for el in page.iter("meta"):
        name = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if name and content and name not in values:
            values[name] = content
    return values


def page_metadata(page) -> dict:
    """{"fields": stated by the page (win over the text), "fallback": used where the text is silent}."""
    values = _meta_values(page)
    fields, fallback = {}, {}
    title = _first(values, "articletitle", "og:title")
    page_title = _clean(page.findtext(".//title") or "")
    date = _iso_date(_first(values, "pubdate", "firstpublishedtime", "article:published_time"))
    fields.update(title=_clean(title), published=date, url=_page_url(page, values))
    # the issuer (ContentSource) and the site's owner (SiteName): the region is taken from
    # the first that names one (区政府办公室 names none, 重庆市渝北区人民政府 does)
    fallback.update(title=_strip_site(page_title, values) if page_title else "", date=date,
                    issuer=_clean(values.get("contentsource", "")), site=_clean(values.get("sitename", "")))
    return {"fields": {k: v for k, v in fields.items() if v}, "fallback": {k: v for k, v in fallback.items() if v}}


def _first(values: dict, *names: str) -> str:
    return next((values[n] for n in names if values.get(n)), "")


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def _strip_site(title: str, values: dict) -> str:
    """报告标题_政府工作报告_某某区人民政府门户网站 → 报告标题."""
    parts = [p.strip() for p in re.split(r"\s*[_|｜]\s*|\s+[-—–－]\s+", title) if p.strip()]
    site_words = {values.get("sitename", ""), values.get("columnname", "")}
    while len(parts) > 1 and (parts[-1] in site_words or re.search(r"网|门户|政府$|gov", parts[-1])):
        parts.pop()
    return parts[0] if len(parts) == 1 else "_".join(parts)


def _iso_date(value: str) -> str:
    m = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", value)
    if not m:
        return ""
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1900 < y < 2200 and 1 <= mo <= 12 and 1 <= d <= 31 else ""


def _page_url(page, values: dict) -> str:
    for link in page.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            href = (link.get("href") or "").strip()
            if re.match(r"^https?://", href, re.I):
                return href
    og = values.get("og:url", "")
    return og if re.match(r"^https?://", og, re.I) else ""


# --------------------------------------------------------------------------
# the main text


def main_text_lines(page, text: str) -> list[str]:
    """The article's lines: readability's choice of element, walked block by block."""
    import lxml.html
    from readability import Document

    try:
        summary = Document(text).summary(html_partial=True)
        article = lxml.html.fragment_fromstring(summary, create_parent="div")
    except Exception:              # readability gives up on odd pages: the whole body, chrome and all
        article = page.body if page.body is not None else page
    lines = block_lines(article)
    if sum(len(x) for x in lines) < 200 and page.body is not None:
        lines = block_lines(page.body)     # a page too short for readability to trust
    return lines


def block_lines(root) -> list[str]:
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    return walker.lines


class _Walker:
    def __init__(self):
        self.lines: list[str] = []
        self.buffer: list[str] = []

    def flush(self):
        text = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(self.buffer)).strip()
        if text:
            self.lines.append(text)
        self.buffer = []

    def walk(self, el):
        if not isinstance(el.tag, str):
            # a comment or processing instruction is no text: government CMS pages mark the
            # article with <!--<$[信息内容]>begin--> and keep markup taken out inside comments,
            # which were read as the report's words where the whole body is walked (a short page)
            self.buffer.append(el.tail or "")
            return
        tag = el.tag
        if tag in _SKIP or tag in ("table", "br"):
            self._special(el, tag)
            return
        block = tag in _BLOCKS
        if block:
            self.flush()
        self.buffer.append(el.text or "")
        for child in el:
            self.walk(child)
        if block:
            self.flush()
        self.buffer.append(el.tail or "")

    def _special(self, el, tag: str):
        """Scripts and forms are no text; a table is rows; a <br> ends a line."""
        if tag == "table":
            self.flush()
            self.lines.extend(table_lines(el))
        elif tag == "br":
            self.flush()
        self.buffer.append(el.tail or "")


def table_lines(table) -> list[str]:
    """A table as the .txt form holds it: a tab-indented line per cell, rows apart by a blank
    line; a layout table of one cell a row (a page built from tables) is text, not a table."""
    cells = _cells(table)
    if max((len(r) for r in cells), default=0) < 2:
        return [line for r in cells for c in r for line in block_lines(c)]
    out = []
    for row in cells:
        texts = [" ".join(block_lines(c)) for c in row]
        if any(texts):
            out.extend("\t" + t for t in texts)
            out.append("")
    return out + [""]


def _cells(table) -> list[list]:
    """The table's own rows (not a nested table's) as lists of their td/th elements."""
    rows = [r for r in table.iter("tr") if _own_table(r, table)]
    return [[c for c in r if isinstance(c.tag, str) and c.tag in ("td", "th")] for r in rows]


def _own_table(row, table) -> bool:
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent is table


def _page_heading(page, named: str) -> str:
    """The article's title as the page shows it: the <h1> most like the title its meta tags or
    <title> name (a site's logo may be an <h1> too), else the page's only <h1>."""
    headings = [_clean(h.text_content()) for h in page.iter("h1")]
    headings = [h for h in headings if h]
    named_chars = set(named)
    best = max(headings, key=lambda h: len(named_chars & set(h)) / max(len(set(h)), 1), default="")
    if best and len(named_chars & set(best)) >= 0.5 * len(set(best)):
        return best
    return headings[0] if len(headings) == 1 else ""     # the article's own heading, as shown


def _with_title(lines: list[str], title: str) -> list[str]:
    """The article's title as its first line: readability keeps the body, the page's <h1> the
    title (and the .txt of a report begins with it)."""
    if not title or not lines:
        return lines
    key = re.sub(r"\s+", "", title)
    if any(re.sub(r"\s+", "", line) == key for line in lines[:5]):
        return lines
    return [title] + lines
