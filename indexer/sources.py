"""Files to SourceDocuments: finding report files, decoding them, reading collections.

A .txt or .md file is one report; a .csv or .jsonl file is a collection with one
report a row.  Metadata the file states itself (front matter, a row's columns)
and the folder's catalog travel with the text in ``SourceDocument.fields``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import encodings
from .model import SourceDocument

REPORT_SUFFIXES = {".txt", ".md", ".markdown"}
COLLECTION_SUFFIXES = {".csv", ".jsonl"}
SUFFIXES = REPORT_SUFFIXES | COLLECTION_SUFFIXES
CATALOG_NAMES = ("catalog.csv", "catalog.toml")
# files that describe a folder rather than hold a report
_SKIP_NAMES = re.compile(r"^(readme|license|licence|changelog|catalog)(\..*)?$", re.I)

MAX_FILE_BYTES = 200 * 1024 * 1024       # a collection file (.csv, .jsonl)
MAX_REPORT_BYTES = 20 * 1024 * 1024      # one report: the longest real ones are under 1 MB

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


class SourceError(Exception):
    """A file or row that cannot be read: the message says why, in one line."""


@dataclass
class FoundFile:
    path: Path          # where it is
    key: str            # stable name: its absolute path (report ids derive from it)
    display: str        # the path as the user would write it


def path_key(path: Path) -> str:
    """The identity of a file or folder: its absolute path, symlinks resolved.

    Two folders of the same name elsewhere are different sources; moving a
    whole collection gives its reports new ids (the old ones are removed)."""
    return Path(os.path.realpath(path)).as_posix()     # never raises, even on a symlink loop


def find_files(paths: list[str]) -> tuple[list[FoundFile], list[tuple[str, str]]]:
    """Report files under the given paths (directories walked recursively).

    Returns (files, failures) where a failure is (path, reason) for an argument
    that does not exist or a named file of an unknown kind.
    """
    found: list[FoundFile] = []
    failed: list[tuple[str, str]] = []
    seen: set[str] = set()
    for arg in paths:
        p = Path(arg)
        if not p.exists():
            failed.append((arg, "no such file or directory"))
            continue
        if p.is_file():
            if p.suffix.lower() not in SUFFIXES:
                failed.append((arg, f"unsupported file type {p.suffix or '(none)'}: "
                                    f"expected {', '.join(sorted(SUFFIXES))}"))
                continue
            _add(found, seen, FoundFile(p, path_key(p), str(p)))
            continue
        visited: set[tuple[int, int]] = set()
        for dirpath, dirnames, filenames in os.walk(p, followlinks=True, onerror=None):
            try:
                st = os.stat(dirpath)
            except OSError:
                continue
            ident = (st.st_dev, st.st_ino)
            if ident in visited:           # a symlink loop: do not walk it twice
                dirnames[:] = []
                continue
            visited.add(ident)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or _SKIP_NAMES.match(name):
                    continue
                fp = Path(dirpath) / name
                if fp.suffix.lower() not in SUFFIXES:
                    continue
                _add(found, seen, FoundFile(fp, path_key(fp), str(fp)))
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
    limit = MAX_FILE_BYTES if path.suffix.lower() in COLLECTION_SUFFIXES else MAX_REPORT_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(f"file is {size / (1024 * 1024):.0f} MB, over the {limit // (1024 * 1024)} MB "
                              f"limit for one {'collection' if limit == MAX_FILE_BYTES else 'report'}")
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise SourceError("file disappeared before it could be read") from None
    except PermissionError:
        raise SourceError("permission denied") from None
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except OSError as e:
        raise SourceError(e.strerror or str(e)) from None


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
            text, _ = decode_bytes(csv_path.read_bytes(), str(csv_path))
            for row in csv.DictReader(io.StringIO(text)):
                name = (row.get("file") or "").strip()
                if name:
                    entries[name] = {meta_field(k): v.strip() for k, v in row.items()
                                     if k and meta_field(k) and isinstance(v, str) and v.strip()}
        except (csv.Error, OSError) as e:
            raise SourceError(f"{csv_path}: bad catalog: {e}") from None
    toml_path = folder / "catalog.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as e:
            raise SourceError(f"{toml_path}: bad catalog: {e}") from None
        for name, fields in data.items():
            if isinstance(fields, dict):
                entries[name] = {meta_field(k): str(v) for k, v in fields.items() if meta_field(k) and v != ""}
    return entries


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
    text, warnings = decode_bytes(data, found.display)
    suffix = found.path.suffix.lower()
    given_catalog = dict((catalog or {}).get(found.path.name, {}))
    if suffix in REPORT_SUFFIXES:
        if not text.strip():
            raise SourceError("empty file: no text to index")
        front, body = split_front_matter(text)
        fields = {**given_catalog, **front}
        fields["_origin"] = {**{k: "catalog" for k in given_catalog}, **{k: "front matter" for k in front}}
        fields["_markdown"] = suffix in (".md", ".markdown")
        # the catalog's entry counts as content: editing it must update the report
        digest = content_hash(data + json.dumps(given_catalog, ensure_ascii=False, sort_keys=True).encode())
        yield found.display, SourceDocument(source=found.display, text=body, fields=fields,
                                            content_hash=digest, warnings=warnings)
        return
    if suffix == ".csv":
        yield from _read_csv(found, text, warnings, given_catalog)
    else:
        yield from _read_jsonl(found, text, warnings, given_catalog)


def _row_document(found: FoundFile, row_no: int, row: dict, mapping: dict, warnings, catalog):
    text = row.get(mapping["text"]) or ""
    source = f"{found.display}#{row_no}"
    if not isinstance(text, str) or not text.strip():
        return source, SourceError(f"row {row_no}: empty text column '{mapping['text']}'")
    if len(text) > MAX_REPORT_BYTES // 3:
        return source, SourceError(f"row {row_no}: text of {len(text)} characters is over the "
                                   f"{MAX_REPORT_BYTES // 3} limit for one report")
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


def _read_csv(found, text, warnings, catalog):
    csv.field_size_limit(MAX_FILE_BYTES)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
    except csv.Error as e:
        raise SourceError(f"bad CSV: {e}") from None
    if not header:
        raise SourceError("empty CSV: no header row")
    mapping = _map_columns(header)
    if "text" not in mapping:
        raise SourceError("CSV has no text column (expected one of "
                          + ", ".join(COLUMN_ALIASES["text"]) + ")")
    names = [h.strip().lstrip("\ufeff") for h in header]
    mapping = {k: v.strip().lstrip("\ufeff") for k, v in mapping.items()}
    row_no = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            row_no += 1
            yield f"{found.display}#{row_no}", SourceError(f"row {row_no}: bad CSV: {e}")
            continue
        row_no += 1
        if not any(v.strip() for v in values):
            continue
        row = dict(zip(names, values))
        yield _row_document(found, row_no, row, mapping, warnings, catalog)


def _read_jsonl(found, text, warnings, catalog):
    any_row = False
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        source = f"{found.display}#{line_no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield source, SourceError(f"line {line_no}: bad JSON ({e.msg})")
            continue
        if not isinstance(row, dict):
            yield source, SourceError(f"line {line_no}: not a JSON object")
            continue
        m = _map_columns(list(row.keys()))
        if "text" not in m:
            yield source, SourceError(f"line {line_no}: no text field (expected one of "
                                      + ", ".join(COLUMN_ALIASES["text"]) + ")")
            continue
        any_row = True
        yield _row_document(found, line_no, row, m, warnings, catalog)
    if not any_row and not text.strip():
        raise SourceError("empty file: no rows")
