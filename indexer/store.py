"""Where an index lives on disk, its schema, and the checks that keep it honest.

Layout of an index folder (default ./index, or $GOVSEARCH_INDEX, or --index):

    index/
      CURRENT            name of the live data folder, replaced atomically
      data-<stamp>/      a Whoosh index plus govsearch.json (versions)
      write.lock         held (POSIX lock) by the one process that writes

A rebuild writes a new data folder and then replaces CURRENT, so readers see
the old index or the new one, never half of either; the kernel drops the lock
when a writer dies, so a killed run leaves no stale lock behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import struct
import sys
import threading
import time
from array import array
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from whoosh import columns, formats
from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, FieldType, Schema

from .analysis import (ANALYZER_VERSION, GramKeys, dictionary_fingerprint, gram_analyzer, gram_keys, normalize,
                       word_analyzer, word_counts)
from .messages import describe_os_error, library_detail, os_error_text
from .topics import TABLE_DIMS, TopicTableError
from .topics import table_fingerprint as topic_table_fingerprint

SCHEMA_VERSION = "10"
META_NAME = "govsearch.json"

# report-level fields stored on a report's head unit only (every unit indexes them)
HEAD_ONLY_FIELDS = ("source", "file", "url", "title", "province", "city", "district", "region", "level", "year",
                    "date", "type", "speaker")

_LOCAL_LOCKS: dict[str, threading.Lock] = {}


class IndexError_(Exception):
    """An index that is missing, locked or built by another analyzer: one line for the user."""


def default_index_dir() -> str:
    return os.environ.get("GOVSEARCH_INDEX") or "index"


class Precounted(str):
    """A unit's text with its terms already counted, by kind ("words", "grams"), and its
    topic vector ("topic"): a Ray task segments it (indexer/cluster.py), the shard's
    writer takes these instead of segmenting again.  They are what the fields would make."""

    def __new__(cls, text: str, counts: dict):
        self = super().__new__(cls, text)
        self.counts = counts
        return self

    def __reduce__(self):
        return (Precounted, (str(self), self.counts))


@lru_cache(maxsize=1)
def counting_versions() -> tuple:
    """What a Precounted text's terms and vector depend on: the analyzer, the dictionary and
    the topic table.  A Ray task on another node may run another checkout; its counts
    are taken only when they were made with this process's own (writer.unit_documents)."""
    return ANALYZER_VERSION, dictionary_fingerprint(), _topic_table_fingerprint()


class CountedField:
    """A field whose terms are counted per document: the count is the posting weight.

    ``counts(value)`` is the field's analysis as {term: count}, or as GramKeys;
    indexer/whoosh_format.py hands that to the posting pool in one call.  ``index``
    gives the same terms in Whoosh's per-posting protocol, for any other
    writer."""

    def counts(self, value: str) -> dict | GramKeys:
        raise NotImplementedError

    def index(self, value, **kwargs):
        counts = self.counts(value)
        if isinstance(counts, GramKeys):
            for key, n in zip(counts.keys.tolist(), counts.counts.tolist()):
                yield counts.term_of(key), int(n), n, b""
            return
        for term, n in counts.items():
            yield term.encode("utf-8"), n, float(n), b""


class WordField(CountedField, TEXT):
    """jieba words with their frequencies (as posting weights), no positions.

    Indexing counts the analyzer's terms directly (``word_counts``) rather than
    through a Token object per term; the analyzer stays on the field, so the
    schema records how the field was segmented.  The format is Existence: the
    frequency travels as the posting's weight, which is all BM25F reads, so no
    value bytes are stored beside it.
    """

    def __init__(self, stored=False):
        TEXT.__init__(self, analyzer=word_analyzer(), phrase=False, stored=stored)
        self.format = formats.Existence()

    def counts(self, value):
        if isinstance(value, Precounted):
            return value.counts["words"]
        return word_counts(normalize(value))


class GramField(CountedField, FieldType):
    """Characters and character pairs with their frequencies (as weights): which
    paragraphs can hold a search string (``grams``), and which sit under a heading
    that says it (``heading``, over the heading path).

    Not scorable: it records no field lengths, which spares the writer a length
    lookup per posting; phrase hits are ranked with the word field's lengths.
    """

    def __init__(self):
        FieldType.__init__(self, format=formats.Existence(), analyzer=gram_analyzer(), scorable=False,
                           stored=False)

    def counts(self, value):
        if isinstance(value, Precounted):
            return value.counts["grams"]
        return _gram_keys(value)


@lru_cache(maxsize=8)
def _gram_keys(value: str) -> GramKeys:
    """Remembered for the last few values: the units of a section share their heading
    path, so its grams are counted once.  Nobody changes the arrays it is given."""
    return gram_keys(normalize(value))


TEXT_FRAME_BYTES = 4 << 20          # text per compressed frame: frames decompress in parallel
_FRAMED = b"GSZ1"                   # the text column's data starts with this
_FRAME_TABLE = struct.Struct("<IQ")  # per frame: documents in it, compressed bytes


def compress_frames(values: list[bytes]) -> bytes:
    """The documents' texts as zstd frames of whole documents, about TEXT_FRAME_BYTES
    each, behind a table of (document count, compressed size) per frame."""
    import zstandard

    compressor = zstandard.ZstdCompressor(level=3)
    frames, table, size, first = [], [], 0, 0
    for i, value in enumerate(values):
        size += len(value)
        if size >= TEXT_FRAME_BYTES or i == len(values) - 1:
            frame = compressor.compress(b"".join(values[first:i + 1]))
            frames.append(frame)
            table.append(_FRAME_TABLE.pack(i + 1 - first, len(frame)))
            first, size = i + 1, 0
    return b"".join([_FRAMED, struct.pack("<I", len(frames)), *table, *frames])


def text_frames(data: bytes) -> list[tuple[int, int, bytes]]:
    """(first document, document count, compressed bytes) of each frame of a
    column's data (compress_frames)."""
    (n,) = struct.unpack_from("<I", data, len(_FRAMED))
    pos = len(_FRAMED) + 4 + n * _FRAME_TABLE.size
    frames, first = [], 0
    for k in range(n):
        docs, size = _FRAME_TABLE.unpack_from(data, len(_FRAMED) + 4 + k * _FRAME_TABLE.size)
        frames.append((first, docs, data[pos:pos + size]))
        first, pos = first + docs, pos + size
    return frames


def decompress_frame(frame: bytes, size: int) -> bytes:
    """One frame's text (`size` bytes); zstd releases the GIL while it works."""
    import zstandard

    return zstandard.ZstdDecompressor().decompress(frame, max_output_size=size)


_COLUMN_TRAILER = struct.Struct("<QI")   # our columns end with: a length in bytes, the document count


def _write_column(dbfile, head: bytes, arrays: list[array], doccount: int) -> None:
    """head, then uint32 arrays (one value per document each, little-endian), then the trailer."""
    dbfile.write(head)
    for a in arrays:
        if sys.byteorder != "little":
            a = array("I", a)
            a.byteswap()
        dbfile.write(a.tobytes())
    dbfile.write(_COLUMN_TRAILER.pack(len(head), doccount))


def _read_column(dbfile, basepos: int, length: int, n_arrays: int) -> tuple[bytes, list[array]]:
    """What _write_column wrote: the head and the uint32 arrays."""
    size, count = _COLUMN_TRAILER.unpack(dbfile.get(basepos + length - _COLUMN_TRAILER.size,
                                                    _COLUMN_TRAILER.size))
    arrays = []
    for k in range(n_arrays):
        a = array("I")
        a.frombytes(dbfile.get(basepos + size + 4 * count * k, 4 * count))
        if sys.byteorder != "little":
            a.byteswap()
        arrays.append(a)
    return dbfile.get(basepos, size), arrays


class CompressedTextColumn(columns.Column):
    """A segment's values as zstd frames of whole documents, with a length per document.

    Compressing many documents together (not each alone, as Whoosh's compressed
    columns do) takes Chinese UTF-8 to a third of its size, and the reader wants
    the whole text anyway: it searches it in pieces of a few megabytes, which
    decompress in parallel threads when an index opens.
    Layout: the frames (compress_frames), uint32 lengths in bytes (one per
    document), uint32 lengths in characters (one per document), then the data's
    length (uint64) and the document count (uint32).
    """

    _default = b""

    class Writer(columns.ColumnWriter):
        def __init__(self, dbfile):
            self._dbfile = dbfile
            self._values: list[bytes] = []

        def add(self, docnum, value):
            if docnum > len(self._values):
                self._values.extend(b"" for _ in range(docnum - len(self._values)))
            self._values.append(value)

        def finish(self, doccount):
            values = self._values[:doccount]
            values.extend(b"" for _ in range(doccount - len(values)))
            lengths = array("I", (len(v) for v in values))
            chars = array("I", (len(v.decode("utf-8")) for v in values))    # per-10k-character rates
            _write_column(self._dbfile, compress_frames(values), [lengths, chars], doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            super().__init__(dbfile, basepos, length, doccount)
            self.data, (self.lengths, self.chars) = _read_column(dbfile, basepos, length, 2)
            self._blob = None
            self._offsets = None

        @property
        def blob(self) -> bytes:
            """Every document's value, concatenated (decompressed on first use)."""
            if self._blob is None:
                lengths = self.lengths
                self._blob = b"".join(decompress_frame(frame, sum(lengths[first:first + n]))
                                      for first, n, frame in text_frames(self.data))
            return self._blob

        def __getitem__(self, docnum):
            if docnum >= len(self.lengths):
                return b""
            if self._offsets is None:
                offsets = array("Q", [0])
                total = 0
                for n in self.lengths:
                    total += n
                    offsets.append(total)
                self._offsets = offsets
            return self.blob[self._offsets[docnum]:self._offsets[docnum + 1]]


class OrdinalColumn(columns.Column):
    """A label field's value per document, as the segment's distinct values and a
    uint32 ordinal per document (0: no value).

    The searcher's facet counts want exactly this: document -> ordinal.  Read from
    the postings it costs a decoded posting per document and field (seconds when
    a million-paragraph index opens); from this column, one array.  Unlike
    Whoosh's RefBytesColumn it holds any number of distinct values (section
    titles run to tens of thousands).
    Layout: the pickled list of values, uint32 ordinals (one per document), then
    the list's length in bytes (uint64) and the document count (uint32).
    """

    _default = None

    class Writer(columns.ColumnWriter):
        def __init__(self, dbfile):
            self._dbfile = dbfile
            self._ordinals = array("I")
            self._values: dict = {None: 0}

        def add(self, docnum, value):
            if docnum > len(self._ordinals):
                self._ordinals.extend(0 for _ in range(docnum - len(self._ordinals)))
            ordinal = self._values.get(value)
            if ordinal is None:
                ordinal = self._values[value] = len(self._values)
            self._ordinals.append(ordinal)

        def finish(self, doccount):
            ordinals = self._ordinals[:doccount]
            ordinals.extend(0 for _ in range(doccount - len(ordinals)))
            _write_column(self._dbfile, pickle.dumps(list(self._values), protocol=4), [ordinals], doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            super().__init__(dbfile, basepos, length, doccount)
            values, (self.ordinals,) = _read_column(dbfile, basepos, length, 1)
            self.values = pickle.loads(values)

        def __getitem__(self, docnum):
            # Whoosh copies columns value by value when it merges segments
            return self.values[self.ordinals[docnum]] if docnum < len(self.ordinals) else None

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]


class VectorColumn(columns.Column):
    """A fixed number of bytes per document (a unit's topic vector, int8), one after
    another, so that a segment's column is one (documents, width) array.
    Layout: the vectors, then their length in bytes (uint64) and the document count
    (uint32); a document without one has zeros."""

    def __init__(self, width: int):
        self._width = width
        self._default = bytes(width)

    class Writer(columns.ColumnWriter):
        def __init__(self, dbfile, width: int):
            self._dbfile = dbfile
            self._width = width
            self._values = bytearray()

        def add(self, docnum, value):
            missing = docnum * self._width - len(self._values)
            if missing > 0:
                self._values.extend(bytes(missing))
            self._values.extend(value)

        def finish(self, doccount):
            size = doccount * self._width
            values = bytes(self._values[:size]) + bytes(max(0, size - len(self._values)))
            _write_column(self._dbfile, values, [], doccount)

    class Reader(columns.ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount, width: int):
            super().__init__(dbfile, basepos, length, doccount)
            self.width = width
            self.data, _ = _read_column(dbfile, basepos, length, 0)

        def __getitem__(self, docnum):
            # Whoosh copies columns value by value when it merges segments
            w = self.width
            return self.data[docnum * w:(docnum + 1) * w] if docnum < self._doccount else bytes(w)

        def __iter__(self):
            for docnum in range(self._doccount):
                yield self[docnum]

    def writer(self, dbfile):
        return self.Writer(dbfile, self._width)

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount, self._width)


class ColumnOnlyField(FieldType):
    """A field kept only as a column: not indexed, stored or scored."""

    indexed = False
    stored = False
    scorable = False

    def __init__(self, column_type):
        self.format = None
        self.analyzer = None
        self.column_type = column_type


class TopicField(ColumnOnlyField):
    """Each unit's topic vector (indexer/topics.py), TABLE_DIMS int8 as bytes: the
    writer makes a report's at once (topics.paragraph_bytes)."""

    def __init__(self):
        super().__init__(VectorColumn(TABLE_DIMS))

    def to_column_value(self, value):
        if not isinstance(value, bytes) or len(value) != TABLE_DIMS:
            raise ValueError(f"a topic vector is {TABLE_DIMS} bytes")
        return value


class NormalizedTextColumn(ColumnOnlyField):
    """The normalised text of each unit, compressed in frames of many units: the one copy of the text.

    Searching reads it whole per segment, as one byte string: a quoted phrase is
    confirmed with ``bytes.count`` inside each candidate paragraph.  UTF-8 is
    self-synchronising, so a byte match is a character match.  The displayed
    text is this plus the unit's ``orig`` diff (analysis.apply_diff).
    """

    def __init__(self):
        super().__init__(CompressedTextColumn())

    def to_column_value(self, value):
        return normalize(value).encode("utf-8")


def make_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        report_id=ID(stored=True, sortable=OrdinalColumn()),
        source=ID(stored=True),
        head=ID(),                                   # "1" on a report's first unit
        file=STORED,                                 # path below the indexed folder
        url=STORED,                                  # the report's source_url
        title=STORED,
        province=ID(stored=True, sortable=OrdinalColumn()),
        city=ID(stored=True),
        district=ID(stored=True),
        region=ID(stored=True, sortable=OrdinalColumn()),
        level=ID(stored=True, sortable=OrdinalColumn()),
        year=NUMERIC(int, bits=32, stored=True, signed=False, sortable=OrdinalColumn()),
        date=STORED,
        type=ID(stored=True, sortable=OrdinalColumn()),
        speaker=STORED,
        section=ID(stored=True, sortable=OrdinalColumn()),
        section_label=ID(stored=True, sortable=OrdinalColumn()),   # the section normalised: its facet
        part=ID(stored=True, sortable=OrdinalColumn()),
        kind=ID(stored=True),
        para_no=NUMERIC(int, bits=32, stored=True, signed=False, sortable=OrdinalColumn()),
        heading_path=STORED,                         # JSON list, shown as breadcrumb
        heading=GramField(),                         # the heading path's grams: ranks a section's paragraphs
        text=WordField(),                            # indexed; its text is kept once, in norm
        grams=GramField(),                           # candidates for exact phrases
        norm=NormalizedTextColumn(),                 # the text, normalised; confirms phrases
        topic=TopicField(),                          # the text's topic vector: ranks by meaning
        orig=STORED,                                 # what normalising changed (text_diff)
        cells=STORED,
        report=STORED,                               # JSON of report-level extras, head unit only
        indicators=STORED,                           # JSON list of indicator facts, head unit only
    )


def index_meta() -> dict:
    """What an index records of the govsearch that wrote it."""
    from .indicators import table_fingerprint

    return {**reading_meta(), "indicator_table": table_fingerprint()}


def reading_meta() -> dict:
    """The versions an index must share with this govsearch to be read (stale_part).  The
    indicator table is not one of them: facts made with another only earn a warning
    where indicators are shown (search/indicators.py).  Checking these loads neither the
    readers nor the indicator patterns, which a one-shot query would pay for."""
    from .model import PARSER_VERSION

    return {"analyzer_version": ANALYZER_VERSION, "schema_version": SCHEMA_VERSION,
            "dictionary": dictionary_fingerprint(), "parser_version": PARSER_VERSION,
            "whoosh": whoosh_version(), "topic_table": _topic_table_fingerprint()}


def _topic_table_fingerprint() -> str:
    try:
        return topic_table_fingerprint()
    except TopicTableError as e:            # every command reads it: one line, naming the file
        raise IndexError_(str(e)) from None


def whoosh_version() -> str:
    """The storage format's version: search/ reads Whoosh's files directly, so an index
    written by another Whoosh is rebuilt rather than trusted."""
    from importlib.metadata import version

    return version("whoosh3")


def _has_index(d: Path) -> bool:
    """A Whoosh index is in ``d``, a damaged one too: a table of contents it cannot read (cut
    short) made `--rebuild`, the way out, fail as an internal error before it began."""
    try:
        return whoosh_index.exists_in(str(d))
    except Exception:               # noqa: BLE001 (Whoosh raises what unpickling raises)
        return True


class IndexStore:
    """An index folder: finds the live data folder and guards writing."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # ---- reading

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    def current_dir(self) -> Path | None:
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        d = self.root / name
        return d if name and d.is_dir() else None

    def exists(self) -> bool:
        d = self.current_dir()
        return d is not None and _has_index(d)

    def read_meta(self, data_dir: Path | None = None) -> dict:
        d = data_dir or self.current_dir()
        try:
            return json.loads((d / META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return {}

    def stale_part(self, data_dir: Path | None = None) -> tuple[str, str, str] | None:
        """(what differs, the index's, this govsearch's) for the first recorded version
        this govsearch does not share, or None."""
        meta = self.read_meta(data_dir)
        want = reading_meta()
        for key, label in (("schema_version", "索引结构"), ("analyzer_version", "分析器"),
                           ("dictionary", "分词词典"), ("parser_version", "报告读取程序"),
                           ("whoosh", "Whoosh (whoosh3)"), ("topic_table", "话题向量表")):
            if meta.get(key) != want[key]:
                return label, meta.get(key) or "（未记录）", want[key]
        return None

    def version_problem(self, data_dir: Path | None = None) -> str | None:
        """Why this index can't be used by this govsearch, or None."""
        part = self.stale_part(data_dir)
        if part is None:
            return None
        label, theirs, ours = part
        return (f"索引 {self.root} 是用{label} {theirs} 建的，这个 govsearch 用的是 {ours}：请重建，"
                f"`govsearch index --rebuild --index {self.root} 路径...`")

    def open(self, check_version: bool = True, data_dir: Path | None = None):
        """Open the live Whoosh index (or the given data folder) for reading;
        raise IndexError_ with a one-line reason."""
        if self.root.exists() and not self.root.is_dir():
            raise IndexError_(f"索引 {self.root} 是一个文件，不是文件夹")
        d = data_dir or self.current_dir()
        if d is None or not _has_index(d):
            raise IndexError_(f"{self.root} 没有索引：先建一个，"
                              f"`govsearch index --index {self.root} 路径...`")
        if check_version:
            problem = self.version_problem(d)
            if problem:
                raise IndexError_(problem)
        try:
            return whoosh_index.open_dir(str(d))
        except Exception as e:  # a damaged index: say so in one line
            raise IndexError_(f"索引 {d} 打不开，可能已损坏：请重建，`govsearch index --rebuild --index {self.root} 路径...`"
                              f"{library_detail(e)}") from None

    def change_stamp(self, data_dir: Path | None) -> tuple | None:
        """What any commit or swap changes, from two stat calls: the CURRENT file (a
        swap replaces it) and the data folder (a commit adds and removes its files).
        None when there is nothing to stat."""
        try:
            current = os.stat(self.current_file)
            folder = os.stat(data_dir) if data_dir is not None else None
        except OSError:
            return None
        return (current.st_ino, current.st_mtime_ns, current.st_size,
                folder.st_ino if folder else None, folder.st_mtime_ns if folder else None)

    def generation(self) -> tuple[str, int]:
        """(data folder, Whoosh generation): changes whenever a commit lands."""
        d = self.current_dir()
        if d is None:
            return ("", -1)
        return (d.name, _latest_generation(d))

    # ---- writing

    @contextmanager
    def write_lock(self, wait: float = 0.0):
        """Hold the index's single-writer lock; raise IndexError_ if another writer has it."""
        if self.root.exists() and not self.root.is_dir():
            raise IndexError_(f"索引 {self.root} 是一个文件，不是文件夹")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise IndexError_(f"无法创建索引文件夹 {self.root}：{os_error_text(e)}") from None
        path = self.root / "write.lock"
        # POSIX locks do not exclude threads of one process: a process-local
        # lock does that, the file lock excludes other processes
        local = _LOCAL_LOCKS.setdefault(str(path.resolve()), threading.Lock())
        deadline = time.monotonic() + wait
        while not local.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise IndexError_(f"另一个 govsearch 正在写索引 {self.root}（pid {os.getpid()}）："
                                  f"请等它写完，或加 --wait 秒数")
            time.sleep(0.2)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            local.release()
            raise
        try:
            while True:
                try:
                    # a POSIX record lock belongs to this process alone: writer
                    # children forked later do not inherit it, and it goes
                    # the moment this process dies, however it dies
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except (BlockingIOError, PermissionError):
                    if time.monotonic() >= deadline:
                        try:
                            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
                        except OSError:
                            holder = ""
                        raise IndexError_(
                            f"另一个 govsearch 正在写索引 {self.root}"
                            + (f"（pid {holder}）" if holder else "")
                            + "：请等它写完，或加 --wait 秒数") from None
                    time.sleep(0.2)
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            current = self.current_dir()
            if current is not None:
                # a rebuild killed before it published left its data folder (gigabytes, on a
                # large index) for the next rebuild only: no live reader uses it, nor an old one
                self.cleanup(keep=current)
            yield
        finally:
            try:
                fcntl.lockf(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
                local.release()

    def new_data_dir(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        d = self.root / f"data-{stamp}"
        try:
            d.mkdir(parents=True)
            (d / META_NAME).write_text(json.dumps(index_meta(), indent=1), encoding="utf-8")
            whoosh_index.create_in(str(d), make_schema())
        except BaseException as e:
            shutil.rmtree(d, ignore_errors=True)     # a full disk must not keep a half-made folder
            if isinstance(e, OSError):
                raise IndexError_(f"无法在 {self.root} 里新建数据文件夹："
                                  f"{describe_os_error(e)}") from None
            raise
        return d

    def publish(self, data_dir: Path):
        """Make data_dir the live index in one atomic step, then drop the old ones."""
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(data_dir.name + "\n", encoding="utf-8")
        os.replace(tmp, self.current_file)
        self.cleanup(keep=data_dir)

    def cleanup(self, keep: Path):
        """Remove data folders that are not live (old generations, abandoned rebuilds)."""
        for d in self.root.glob("data-*"):
            if d.is_dir() and d.name != keep.name:
                shutil.rmtree(d, ignore_errors=True)
        for t in self.root.glob("CURRENT.*.tmp"):
            t.unlink(missing_ok=True)


def _latest_generation(d: Path) -> int:
    gens = []
    for p in d.glob("_MAIN_*.toc"):
        try:
            gens.append(int(p.stem.rsplit("_", 1)[1]))
        except ValueError:
            pass
    return max(gens) if gens else -1
