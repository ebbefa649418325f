"""Files to SourceDocuments: finding report files, decoding them, reading collections.

A .txt or .md file is one report; a .csv or .jsonl file is a collection with one
report a row.  Metadata the file states itself (front matter, a row's columns)
and the folder's catalog travel with the text in ``SourceDocument.fields``.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import logging
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import encodings, formats
from .messages import library_detail, one_line, os_error_text
from .model import SourceDocument

REPORT_SUFFIXES = {".txt", ".md", ".markdown"}
COLLECTION_SUFFIXES = {".csv", ".jsonl"}
# web pages, Word and PDF: indexer/formats/ reads them
PUBLISHED_SUFFIXES = formats.SUFFIXES
SUFFIXES = REPORT_SUFFIXES | COLLECTION_SUFFIXES | PUBLISHED_SUFFIXES
CATALOG_NAMES = ("catalog.csv", "catalog.toml")
# files that describe a folder rather than hold a report
_SKIP_NAMES = re.compile(r"^(readme|license|licence|changelog|catalog)(\..*)?$", re.I)

MAX_FILE_BYTES = 200 * 1024 * 1024       # a collection file (.csv, .jsonl)
MAX_REPORT_BYTES = 20 * 1024 * 1024      # one report: the longest real ones are under 1 MB
CATALOG_FIELD_MAX = 100_000              # characters in one catalog field: metadata, not text

# collection columns -> our fields
COLUMN_ALIASES = {
    "text": ("full_text", "content", "text", "body", "正文", "全文"),
    "title": ("title", "标题", "题目"),
    "year": ("year", "年份", "年度"),
    "province": ("province", "省份", "省"),
    "city": ("city", "城市", "市"),
    "district": ("district", "county", "区县", "区"),
    "region": ("region", "地区"),
    "level": ("level", "层级", "级别"),
    "date": ("date", "delivery_date", "日期"),
    "published": ("publish_date", "published", "发布日期"),
    "type": ("type", "report_type", "类型"),
    "speaker": ("speaker", "报告人"),
    "url": ("source_url", "url", "链接"),
    "report_id": ("report_id",),
}
META_FIELDS = ("title", "year", "province", "city", "district", "region", "level", "date",
               "type", "speaker", "url", "published", "report_id")
# other names front matter and catalogs use for a field
FIELD_NAMES = {"source_url": "url", "link": "url", "链接": "url", "publish_date": "published"}


def meta_field(name: str) -> str | None:
    """Our name for a front matter key or catalog column, or None if it is not metadata."""
    name = name.strip().lower()
    name = FIELD_NAMES.get(name, name)
    return name if name in META_FIELDS else None


# reasons a person reads in the list of failed files (the file is named beside them):
# a legitimately unreadable shape is said in Chinese, never as an exception
EMPTY_FILE = "空文件：没有可索引的文字"
NO_TEXT_FOUND = "文件里没有文字（只有版面、图片或空的表格）：没有可索引的内容"
VANISHED = "文件在读取之前就不见了"


class SourceError(Exception):
    """A file or row that cannot be read: the message says why, in one line."""


@dataclass
class FoundFile:
    path: Path          # where it is
    key: str            # stable name: its absolute path (report ids derive from it)
    display: str        # the path as the user would write it


@dataclass
class Unreadable:
    """A path the run could not read: a root, a folder it could not list, or a special file.

    Its indexed reports stay (``key`` is the file or the folder they live under)."""
    display: str
    reason: str
    key: str
    whole: bool = False     # a path named to the run, or a folder: all of it is unknown this time
    # a symlink's own place (its folder resolved, not it): what a file there was indexed under
    # before a broken link took its place, so that its report stays too
    place: str = ""


def _valid_text(name: str) -> str:
    """A file name as valid Unicode: names that are not UTF-8 on disk come back from
    the OS with surrogate escapes, which no writer, terminal or JSON can carry."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def display_name(path: str | os.PathLike) -> str:
    """A path for people: each part that is not UTF-8 on disk is read as GB18030
    (Chinese names from Windows archives), else its bytes are shown as \\xNN."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    parts = []
    for part in os.fsencode(text).split(b"/"):
        try:
            parts.append(part.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                parts.append(part.decode("gb18030"))
            except UnicodeDecodeError:
                parts.append(part.decode("utf-8", "backslashreplace"))
    return "/".join(parts)


def path_key(path: Path) -> str:
    """The identity of a file or folder: its absolute path, symlinks resolved.

    Two folders of the same name elsewhere are different sources; moving a
    whole collection gives its reports new ids (the old ones are removed).
    A byte of a name that is not UTF-8 stands as ``\\udcNN``: one name, one key."""
    return _valid_text(Path(os.path.realpath(path)).as_posix())     # never raises, even on a symlink loop


_SPECIAL_KINDS = ((stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISCHR, "字符设备"),
                  (stat.S_ISBLK, "块设备"), (stat.S_ISSOCK, "套接字（socket）"),
                  (stat.S_ISDIR, "文件夹"))


def special_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    return next((what for test, what in _SPECIAL_KINDS if test(mode)), "不是普通文件")


def not_regular(path: Path) -> str | None:
    """Why a report path cannot be read as a regular file, or None when it can."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return f"失效的符号链接：它指向的 {display_name(os.readlink(path))} 不存在"
        return VANISHED
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "符号链接成环：层层互指，找不到真正的文件"
        return os_error_text(e)
    if stat.S_ISREG(st.st_mode):
        return None
    what = special_kind(st.st_mode)
    target = f"（经由指向 {display_name(os.readlink(path))} 的符号链接）" if os.path.islink(path) else ""
    return f"是{what}{target}，不是普通文件：未读取"


def find_files(paths: list[str]) -> tuple[list[FoundFile], list[Unreadable]]:
    """Report files under the given paths (directories walked recursively).

    Returns (files, unreadable): a path that does not exist, a named file of an
    unknown kind, a folder that cannot be listed, and a report-named entry that
    is not a regular file (a FIFO, a device, a dangling symlink) are unreadable.
    """
    found: list[FoundFile] = []
    failed: list[Unreadable] = []
    seen: set[str] = set()
    for arg in paths:
        p = Path(arg)
        if p.is_dir():
            _walk(p, found, failed, seen)
            continue
        problem = _root_problem(p)
        if problem:
            failed.append(Unreadable(display_name(arg), problem, path_key(p), whole=True))
            continue
        _add(found, seen, FoundFile(p, path_key(p), display_name(p)))
    return found, failed


def relative_name(key: str, root_keys: list[str]) -> str:
    """A report's file as the reader knows it: the indexed folder's name and the path below
    it (provinces-2026/2026_上海市_政府工作报告.csv#1), never the server's path."""
    path, _, row = key.partition("#")
    for root in sorted(root_keys, key=len, reverse=True):
        if path == root:
            name = root.rsplit("/", 1)[-1]
        elif path.startswith(root.rstrip("/") + "/"):
            name = root.rstrip("/").rsplit("/", 1)[-1] + path[len(root.rstrip("/")):]
        else:
            continue
        return name + ("#" + row if row else "")
    return path.rsplit("/", 1)[-1] + ("#" + row if row else "")


def _root_problem(p: Path) -> str | None:
    """Why a path named on the command line (not a folder) is not a report file, or None."""
    if not os.path.lexists(p):
        return "没有这个文件或文件夹"
    problem = not_regular(p)
    if problem:
        return problem
    if p.suffix.lower() not in SUFFIXES:
        return f"不支持的文件类型 {p.suffix or '（无扩展名）'}：可索引的是 {'、'.join(sorted(SUFFIXES))}"
    return None


def walk_folders(root, on_error=None):
    """(folder, file names) for every folder under root, each once: symlinked
    folders are followed, a symlink loop is not walked twice, hidden folders and
    files are skipped; names sorted.  on_error(OSError) hears of a folder that
    cannot be listed or read (err.filename names it)."""
    visited: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=on_error):
        try:
            st = os.stat(dirpath)
        except OSError as e:
            e.filename = dirpath
            if on_error:
                on_error(e)
            dirnames[:] = []
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in visited:           # a symlink loop: do not walk it twice
            dirnames[:] = []
            continue
        visited.add(ident)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        yield dirpath, sorted(n for n in filenames if not n.startswith("."))


def _walk(root: Path, found: list, failed: list, seen: set):
    def unlistable(err: OSError):
        folder = Path(err.filename)
        failed.append(Unreadable(display_name(folder), f"无法列出文件夹的内容：{os_error_text(err)}",
                                 path_key(folder), whole=True))

    for dirpath, filenames in walk_folders(root, unlistable):
        for name in filenames:
            if _SKIP_NAMES.match(name) or Path(name).suffix.lower() not in SUFFIXES:
                continue
            fp = Path(dirpath) / name
            problem = not_regular(fp)
            if problem:
                place = f"{path_key(fp.parent)}/{_valid_text(name)}" if os.path.islink(fp) else ""
                failed.append(Unreadable(display_name(fp), problem, path_key(fp), place=place))
                continue
            _add(found, seen, FoundFile(fp, path_key(fp), display_name(fp)))


def _add(found, seen, f: FoundFile):
    if f.key not in seen:
        seen.add(f.key)
        found.append(f)


# --------------------------------------------------------------------------
# decoding


def decode_bytes(data: bytes, name: str = "") -> tuple[str, list[str]]:
    """Bytes to text (encodings.decode_bytes); SourceError for bytes that are not text."""
    try:
        return encodings.decode_bytes(data)
    except encodings.DecodeError as e:
        raise SourceError(str(e)) from None


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, never more than the limit for its kind.

    Opened without blocking and checked after opening, so a FIFO or device that
    took a report's place since the folder was listed is refused rather than
    waited on or read without end; the size is counted while reading, so a
    file that grows (or lies about its size) stops at the limit."""
    collection = path.suffix.lower() in COLLECTION_SUFFIXES
    limit = MAX_FILE_BYTES if collection else MAX_REPORT_BYTES
    if path.suffix.lower() in PUBLISHED_SUFFIXES - formats.HTML_SUFFIXES:
        limit = formats.MAX_BYTES
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as e:
        raise SourceError(_open_error(path, e)) from None
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise SourceError(f"是{special_kind(st.st_mode)}，不是普通文件：未读取")
            data = b"" if st.st_size > limit else fh.read(limit + 1)
        except OSError as e:
            raise SourceError(f"读取出错：{os_error_text(e)}") from None
    what = f"一个{'合集文件（.csv、.jsonl）' if collection else '报告文件'}最多 {limit // (1024 * 1024)} MB"
    if st.st_size > limit:
        raise SourceError(f"文件有 {st.st_size / (1024 * 1024):.0f} MB，太大（{what}）：未读取")
    if len(data) > limit:
        raise SourceError(f"文件在读取时不断变大，超过了上限（{what}）：未读取")
    return data


def _open_error(path: Path, e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return not_regular(path) or VANISHED
    return os_error_text(e)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------
# front matter and catalogs

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


def split_front_matter(text: str) -> tuple[dict, str]:
    m = _FRONT.match(text)
    if not m:
        return {}, text
    fields = {}
    for line in m.group(1).splitlines():
        if ":" in line:
            k, _, v = line.partition(":")
            k, v = meta_field(k), v.strip().strip("\"'")
            if k and v:
                fields[k] = v
    # keep the line count: front matter lines become blank lines
    return fields, "\n" * m.group(0).count("\n") + text[m.end():]


def load_catalog(folder: Path) -> dict[str, dict]:
    """catalog.csv or catalog.toml in a folder: file name -> fields."""
    entries: dict[str, dict] = {}
    csv_path = folder / "catalog.csv"
    if csv_path.is_file():
        try:
            entries.update(_catalog_rows(csv_path, decode_bytes(read_bytes(csv_path), str(csv_path))[0]))
        except SourceError as e:
            raise SourceError(f"编目文件 {display_name(csv_path)} 有误：{e}") from None
    toml_path = folder / "catalog.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(read_bytes(toml_path).decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, SourceError) as e:
            raise SourceError(f"编目文件 {display_name(toml_path)} 有误：{_toml_problem(e)}") from None
        for name, fields in data.items():
            if isinstance(fields, dict):
                entries[name] = {meta_field(k): str(v) for k, v in fields.items() if meta_field(k) and v != ""}
    return entries


def catalog_orphans(files: list[FoundFile]) -> list[dict]:
    """A warning for each catalog entry naming no file of its folder (a typo, a file moved,
    a path where a name belongs): its row would otherwise be ignored without a word. Names
    are matched as read_file matches them, as on disk or as shown."""
    out = []
    for folder in sorted({f.path.parent for f in files}):
        catalog = next((folder / n for n in CATALOG_NAMES if (folder / n).is_file()), None)
        if catalog is None:
            continue
        try:
            entries = load_catalog(folder)
            present = {shown for name in os.listdir(folder) for shown in (name, display_name(name))}
        except (SourceError, OSError):         # a broken catalog fails its files already
            continue
        out.extend({"source": display_name(catalog), "warning": f"登记的 {name} 不在这个文件夹里：这一条没有用上"}
                   for name in entries if name not in present)
    return out


def _toml_problem(e: Exception) -> str:
    if isinstance(e, UnicodeDecodeError):
        return "不是 UTF-8 编码：请另存为 UTF-8"
    if isinstance(e, SourceError):
        return str(e)
    return f"TOML 格式有误（{one_line(str(e))}）"


def _catalog_rows(csv_path: Path, text: str) -> dict[str, dict]:
    """catalog.csv's entries; a broken quote or a file listed twice is an error,
    never two entries silently run together."""
    records = csv_records(text)
    names = _catalog_header(next(records, (1, None))[1])
    entries: dict[str, dict] = {}
    first_line: dict[str, int] = {}
    for line, values in records:
        problem = _catalog_record_problem(values, len(names))
        if problem:
            raise SourceError(f"第 {line} 行：{problem}")
        row = dict(zip(names, values))
        name = (row.get("file") or "").strip()
        if name in entries:
            raise SourceError(f"第 {line} 行：{name} 在第 {first_line[name]} 行已经登记过，同一文件只能登记一次")
        if name:
            first_line[name] = line
            entries[name] = {meta_field(k): v.strip() for k, v in row.items() if meta_field(k) and v.strip()}
    return entries


def _catalog_header(header: list | str | None) -> list[str]:
    if not isinstance(header, list):
        raise SourceError(f"第 1 行：{header}" if header else "空文件：没有表头")
    names = [h.strip().lstrip("\ufeff") for h in header]
    if "file" not in names:
        raise SourceError("没有 file 列：每一行要用 file 列写明它描述的报告文件名")
    return names


def _record_problem(values: list | str, columns: int) -> str | None:
    """What is wrong with a CSV record under a header of ``columns`` fields, or None."""
    if isinstance(values, str):                     # broken quoting, said by csv_records
        return values
    if len(values) > columns and any(v.strip() for v in values[columns:]):
        return f"有 {len(values)} 个字段，表头只有 {columns} 个（是否有没加引号的逗号，或引号不成对？）"
    return None


def _catalog_record_problem(values: list | str, columns: int) -> str | None:
    problem = _record_problem(values, columns)
    if problem:
        return problem
    longest = max(map(len, values), default=0)
    if longest > CATALOG_FIELD_MAX:
        return (f"有一个字段长 {longest} 个字符，编目文件的字段最多 {CATALOG_FIELD_MAX} 个"
                f"（是否有引号没有闭合？）")
    return None


def csv_records(text: str):
    """(line, values) for each CSV record, numbered by the line it starts on.

    Quoting is read strictly: a record that breaks it comes as (line, what is
    wrong) and reading goes on at the next line, so a stray quote fails its own
    record instead of silently swallowing the records after it."""
    csv.field_size_limit(MAX_FILE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield line, _quote_problem(str(e), line, reader.line_num)
            continue
        yield line, values


def _quote_problem(error: str, line: int, last_line: int) -> str:
    if "unexpected end of data" in error:
        return (f"这一条里的引号没有闭合"
                f"（第 {line}–{last_line} 行，即文件的其余部分，都读不了）")
    if "expected after" in error:
        return f"引号在字段中间就结束了：请用引号把整个字段括起来（{error}）"
    return f"CSV 格式有误（{error}）"


# --------------------------------------------------------------------------
# reading


def _map_columns(header: list[str]) -> dict[str, str]:
    lower = {h.strip().lower().lstrip("\ufeff"): h for h in header if h}
    mapping = {}
    for field, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lower:
                mapping[field] = lower[alias]
                break
    return mapping


def read_file(found: FoundFile, catalog: dict[str, dict] | None = None):
    """Yield (source, SourceDocument | SourceError) for each report in one file.

    Raises SourceError when the whole file is unreadable; a bad row of a
    collection is yielded as its own SourceError so the good rows are kept.
    """
    data = read_bytes(found.path)
    suffix = found.path.suffix.lower()
    catalog = catalog or {}
    given_catalog = dict(catalog.get(found.path.name) or catalog.get(display_name(found.path.name)) or {})
    if suffix in PUBLISHED_SUFFIXES:
        yield found.display, _published_document(found, data, given_catalog)
        return
    text, warnings = decode_bytes(data, found.display)
    _path_warning(found, warnings)
    if suffix in REPORT_SUFFIXES:
        if not text.strip():
            raise SourceError(EMPTY_FILE)
        front, body = split_front_matter(text)
        fields = {**given_catalog, **front}
        fields["_origin"] = {**{k: "catalog" for k in given_catalog}, **{k: "front matter" for k in front}}
        fields["_markdown"] = suffix in (".md", ".markdown")
        yield found.display, SourceDocument(source=found.display, text=body, fields=fields,
                                            content_hash=_file_hash(data, given_catalog), warnings=warnings)
        return
    if suffix == ".csv":
        yield from _read_csv(found, text, warnings, given_catalog)
    else:
        yield from _read_jsonl(found, text, warnings, given_catalog)


def _path_warning(found: FoundFile, warnings: list):
    if found.display != os.fspath(found.path):
        warnings.append("文件路径在磁盘上不是 UTF-8：显示时按 GB18030 读，读不通的部分写成 \\xNN 字节")


def _file_hash(data: bytes, catalog: dict) -> str:
    """The file's content with its catalog entry: editing the entry must update the report."""
    return content_hash(data + json.dumps(catalog, ensure_ascii=False, sort_keys=True).encode())


def _published_document(found: FoundFile, data: bytes, catalog: dict) -> SourceDocument:
    """A web page, Word or PDF file as a SourceDocument: its text in .txt form, the fields its
    meta tags state (the catalog wins over them) and its properties as fallbacks."""
    if not data.strip():
        raise SourceError(EMPTY_FILE)
    try:
        got = formats.read_document(data, found.path.suffix, found.display)
    except formats.FormatError as e:
        raise SourceError(str(e)) from None
    except Exception as e:       # a file that breaks its library (or a bug of ours): one line, the other files go on
        logging.getLogger("govsearch.indexer").debug("reading %s failed", found.display, exc_info=True)
        raise SourceError(f"读取这个 {found.path.suffix.lower()} 文件时出错，文件可能已损坏"
                          + library_detail(e)) from None
    if not got.text.strip():
        raise SourceError(NO_TEXT_FOUND)
    warnings = list(got.warnings)
    _path_warning(found, warnings)
    stated = {k: v for k, v in got.fields.items() if k in META_FIELDS and v}
    fields = {**stated, **catalog}
    fields["_origin"] = {**{k: "meta tags" for k in stated}, **{k: "catalog" for k in catalog}}
    fields["_fallback"] = {k: v for k, v in got.fallback.items() if v}
    return SourceDocument(source=found.display, text=got.text, fields=fields,
                          content_hash=_file_hash(data, catalog), warnings=warnings)


_JSON_KINDS = {bool: "真假值（true/false）", int: "数字", float: "数字", list: "列表", dict: "对象",
               str: "字符串", type(None): "空值（null）"}


def _kind(value) -> str:
    return _JSON_KINDS.get(type(value), "其他值")


def _row_document(found: FoundFile, where: str, row_no: int, row: dict, mapping: dict, warnings, catalog):
    """One collection row as a SourceDocument, or a SourceError saying what is wrong with it.

    ``where`` is how the file counts its rows ("row 3" of a CSV, "line 3" of a JSONL)."""
    source = f"{found.display}#{row_no}"
    problem = _row_problem(where, row, mapping)
    if problem:
        return source, SourceError(problem)
    text = row[mapping["text"]]
    fields = dict(catalog)
    origin = {k: "catalog" for k in catalog}
    for field, col in mapping.items():
        if field == "text":
            continue
        value = row.get(col)
        if value not in (None, ""):
            fields[field] = str(value).strip()
            origin[field] = "collection"
    fields["_origin"] = origin
    digest = content_hash(json.dumps([text, {k: v for k, v in fields.items() if not k.startswith("_")}],
                                     ensure_ascii=False, sort_keys=True).encode())
    return source, SourceDocument(source=source, text=text, fields=fields, content_hash=digest,
                                  warnings=list(warnings))


def _row_problem(where: str, row: dict, mapping: dict) -> str | None:
    """What makes a row unusable, said as it is: a missing, empty or non-text
    text column, a field that is a list or object, text over the limit."""
    column = mapping["text"]
    if column not in row:
        return f"{where}：还没到正文列“{column}”就结束了（字段比表头少）"
    text = row[column]
    if text is None or (isinstance(text, str) and not text.strip()):
        return f"{where}：正文列“{column}”是空的，没有可索引的文字"
    if not isinstance(text, str):
        return f"{where}：“{column}”是{_kind(text)}，不是文字"
    if len(text) > MAX_REPORT_BYTES // 3:
        return (f"{where}：正文有 {len(text)} 个字符，"
                f"超过一篇报告的上限 {MAX_REPORT_BYTES // 3} 个")
    for field, col in mapping.items():
        value = row.get(col)
        if isinstance(value, (list, dict, bool)):
            return f"{where}：“{col}”是{_kind(value)}，不是单个值"
    return None


def _read_csv(found, text, warnings, catalog):
    records = csv_records(text)
    _, header = next(records, (1, None))
    if isinstance(header, str):
        raise SourceError(f"第 1 行（表头）：{header}")
    if not header:
        raise SourceError("空的 CSV：没有表头，也没有可索引的文字")
    mapping = _map_columns(header)
    if "text" not in mapping:
        raise SourceError("CSV 没有正文列：表头里要有其中一列，"
                          + "、".join(COLUMN_ALIASES["text"]))
    names = [h.strip().lstrip("\ufeff") for h in header]
    mapping = {k: v.strip().lstrip("\ufeff") for k, v in mapping.items()}
    any_row = False
    for row_no, (line, values) in enumerate(records, 1):
        where = f"第 {row_no} 条（第 {line} 行）"
        problem = _record_problem(values, len(names))
        if problem:
            any_row = True
            yield f"{found.display}#{row_no}", SourceError(f"{where}：{problem}")
        elif any(v.strip() for v in values):
            any_row = True
            yield _row_document(found, where, row_no, dict(zip(names, values)), mapping, warnings, catalog)
    if not any_row:
        # a header and no rows (or only blank ones) was neither indexed nor listed: say so
        raise SourceError("只有表头，没有一行报告：没有可索引的文字")


def _read_jsonl(found, text, warnings, catalog):
    any_row = False
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        source = f"{found.display}#{line_no}"
        try:
            row = json.loads(line)
            json.dumps(row, ensure_ascii=False).encode("utf-8")
        except json.JSONDecodeError as e:
            yield source, SourceError(f"第 {line_no} 行：不是有效的 JSON（{e.msg}）")
            continue
        except UnicodeEncodeError:
            yield source, SourceError(f"第 {line_no} 行：有一个 \\u 转义只表示半个字符"
                                      f"（孤立的代理项），不是有效的 Unicode")
            continue
        if not isinstance(row, dict):
            yield source, SourceError(f"第 {line_no} 行：是{_kind(row)}，不是 JSON 对象")
            continue
        m = _map_columns(list(row.keys()))
        if "text" not in m:
            yield source, SourceError(f"第 {line_no} 行：没有正文字段，要有其中一个："
                                      + "、".join(COLUMN_ALIASES["text"]))
            continue
        any_row = True
        yield _row_document(found, f"第 {line_no} 行", line_no, row, m, warnings, catalog)
    if not any_row and not text.strip():
        raise SourceError(EMPTY_FILE)
