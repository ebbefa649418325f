"""What a report becomes before it is indexed: a Report with its Paragraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

import re

# Bump when cleaning, structure or metadata extraction changes what a file
# becomes: an index built by another version asks to be rebuilt, as it does for
# another analyzer, instead of mixing old and new readings of the same files.
# (Here, not in reports.py: a search checks it without loading the readers.)
PARSER_VERSION = "9"

UNKNOWN = "未知"
# what a report id may look like: it stands in URLs (/reports/<id>)
REPORT_ID = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")

REPORT_TYPES = ("政府工作报告", "计划报告", "预算报告", "决议", "讲话", "其他")

# report-level fields, in the order `govsearch reports` shows them
REPORT_FIELDS = ("report_id", "source", "file", "url", "title", "province", "city", "district", "region",
                 "level", "year", "date", "type", "speaker")


@dataclass
class SourceDocument:
    """One report's raw text as read from a file or a collection row."""

    source: str                 # path, or path#row for a row of a collection file
    text: str                   # decoded text, not yet cleaned
    fields: dict = field(default_factory=dict)   # metadata given by the file itself
    content_hash: str = ""
    warnings: list = field(default_factory=list)
    lines: list | None = None   # the cleaned lines, once read (indexer/boilerplate.py)
    line_keys: set = field(default_factory=set)      # keys of the lines that may be boilerplate
    boilerplate: set = field(default_factory=set)    # keys its collection repeats: dropped

    def size(self) -> int:
        """Characters of text, read or cleaned."""
        return len(self.text) if self.text else sum(len(line) for line in self.lines or ())


@dataclass
class Paragraph:
    """One unit of a report: a heading, paragraph, list item or table row."""

    para_no: int
    kind: str
    text: str                   # the report's own characters, cleaned
    heading_path: list[str]     # headings above this unit (and itself, for a heading)
    section: str = ""           # top-level heading without its numbering
    part: str = "其他"
    cells: list[str] | None = None   # table rows: the cells, empty ones included


@dataclass
class Report:
    report_id: str
    source: str
    title: str = UNKNOWN
    province: str = UNKNOWN
    city: str = ""
    district: str = ""
    region: str = UNKNOWN
    level: str = UNKNOWN
    year: int | None = None     # None: no year could be found (未知 in facets, in no year range)
    date: str = ""
    type: str = "其他"
    speaker: str = ""
    url: str = ""               # where the report was published (source_url/url), http(s) only
    file: str = ""              # its file, relative to the indexed folder (shown, never a server path)
    content_hash: str = ""
    script: str = "简"           # 繁 when the text is in Traditional characters
    text: str = ""              # the cleaned text the paragraphs were cut from
    paragraphs: list[Paragraph] = field(default_factory=list)
    metadata_origin: dict = field(default_factory=dict)  # field -> front matter|catalog|text
    indicators: list = field(default_factory=list)       # facts (indexer/indicators.py), as JSON dicts
    warnings: list = field(default_factory=list)
    dropped_lines: int = 0      # lines its collection repeats (boilerplate), not indexed
    line_keys: list = field(default_factory=list)    # kept in the index: the next run's counts
    boilerplate: list = field(default_factory=list)
    # what its units' Precounted texts were counted with (store.counting_versions), when
    # another process counted them (a Ray task): the writer takes the counts only if its own are alike
    counted_with: tuple | None = None
