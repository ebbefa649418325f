"""`govsearch trend` and `govsearch keywords`: the analyses of search/ as text, JSON or CSV."""

from __future__ import annotations

import csv
import sys

import click

from indexer.store import IndexError_

from .main import echo_json, fail, filter_options, index_option, refuse_together
from .usage import ChineseCommand, as_typed
from .shards import cluster_option, timeout_option
from .terminal import display_width, pad as _pad, printable

KEYWORD_CSV = ("list", "word", "g2", "count", "rate", "ref_count", "ref_rate")


def _filters(opts: dict) -> dict:
    from search.fields import FILTER_PARAMS

    return {name: list(opts.pop(name)) for name in FILTER_PARAMS if opts.get(name)}


def _run(func, *args):
    """Call into search/: a bad request or query is one line and exit 2, a bad index exit 1."""
    from search.query import QuerySyntaxError
    from search.results import RequestError

    try:
        return func(*args)
    except (QuerySyntaxError, RequestError) as e:
        fail(as_typed(str(e)), 2)
    except IndexError_ as e:
        fail(str(e))


def _open(index_dir: str, cluster, timeout: float):
    """The Engine of one index, or the shards of a sharded one (here, or on Ray)."""
    from search.engine import Engine

    from .shards import shards_for

    return _run(shards_for, index_dir, cluster, timeout) or Engine(index_dir)


@click.command(cls=ChineseCommand, help=(
    "每个 TERM 逐年（或逐地区……）被提到多少次。\n\n"
    "TERM 可以是任何检索式，含义与检索相同：营商环境、'\"稳中求进\"'、'规上 OR 规模以上'。提及次数按出现"
    "次数算；有报告但没提到的年份显示 0；per_10k_chars 为每万字提及次数。"))
@click.argument("terms", nargs=-1, required=True)
@index_option
@filter_options
@click.option("--by", default="year",
              help="按哪个维度：year、region、province、level、type（任一分面字段；默认 year）。")
@click.option("--match", type=click.Choice(["exact", "words"]), default="exact",
              help="exact：按原样匹配（默认）；words：按 jieba 分词匹配。")
@click.option("--json", "as_json", is_flag=True, help="输出与 /api/trends 相同的 JSON。")
@click.option("--csv", "as_csv", is_flag=True, help="每个检索词每个取值一行，带表头。")
@cluster_option
@timeout_option
def trend(terms, index_dir, by, match, as_json, as_csv, cluster, shard_timeout, **opts):
    """How often each TERM is said, year by year (or region by region …).

    A TERM is any query, with search's semantics: 营商环境, '"稳中求进"',
    '规上 OR 规模以上'. Mentions count occurrences; years with reports and no
    mention show 0; per_10k_chars is mentions per 10,000 characters.
    """
    from search.shard_analyses import trend_over
    from search.trends import TrendRequest

    refuse_together(json=as_json, csv=as_csv)
    req = _run(TrendRequest, list(terms), by, _filters(opts), match)
    data = _run(trend_over, _open(index_dir, cluster, shard_timeout), req)
    if as_json:
        echo_json(data)
    elif as_csv:
        _trend_csv(data)
    else:
        _trend_text(data)


def _trend_csv(data: dict):
    from search.trends import TABLE_COLUMNS, table_rows

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for row in table_rows(data):
        writer.writerow([printable(str(row[k])) for k in TABLE_COLUMNS])


def _trend_text(data: dict):
    terms = data["terms"]
    click.echo(f"按 {data['by']}：提及次数（每万字次数）；有报告的取值 {len(data['buckets'])} 个")
    # the first column as wide as its longest value (四川省成都市金牛区 ran into its count: 金牛区1)
    values = [printable(str(b["value"])) for b in data["buckets"]]
    first = max([16] + [display_width(v) + 2 for v in values])
    header = _pad("", first) + _pad("报告数", 9) + "".join(_pad(printable(t["term"])[:14], 20) for t in terms)
    click.echo(header)
    for i, (b, value) in enumerate(zip(data["buckets"], values)):
        cells = "".join(_pad(f"{t['series'][i]['mentions']} ({t['series'][i]['per_10k_chars']:g})", 20)
                        for t in terms)
        click.echo(_pad(value, first) + _pad(str(b["reports"]), 9) + cells)
    for t in terms:
        total = t["total"]
        click.echo(f"{printable(t['term'])}：在 {total['reports']} 篇报告的 {total['paragraphs']} 段里"
                   f"提及 {round(total['mentions'])} 次；最早 {t['first'] or '—'}")


@click.command(cls=ChineseCommand, help=(
    "让选定报告与众不同的 jieba 词（对数似然 G2）。\n\n"
    "用筛选选项选定报告（--province 浙江 --year 2026）；对照是其余全部、--vs 给出的筛选条件，"
    "或加 --new 时为同样筛选条件的上一年。"))
@index_option
@filter_options
@click.option("--vs", default=None, help="对照，用检索式里的筛选条件写（'省份:江苏 年份:2026'）。默认：其余全部。")
@click.option("--new", "new", is_flag=True, help="选定年份用了、上一年（同样筛选条件，年份减 1）没用过的词。")
@click.option("--top", default=50, type=click.IntRange(1, 1000), help="列出多少个词，1 到 1000（默认 50）。")
@click.option("--min-count", default=2, type=click.IntRange(1, 10**6),
              help="列出的词至少出现这么多次（默认 2）。")
@click.option("--json", "as_json", is_flag=True, help="输出与 /api/keywords 相同的 JSON。")
@click.option("--csv", "as_csv", is_flag=True, help="每个词一行，带表头。")
@cluster_option
@timeout_option
def keywords(index_dir, vs, new, top, min_count, as_json, as_csv, cluster, shard_timeout, **opts):
    """The jieba words that set the selected reports apart (log-likelihood G2).

    Select with the filter options (--province 浙江 --year 2026); the reference is
    everything else, --vs FILTERS, or with --new the same region's previous year.
    """
    from search.keywords import KeywordRequest, filters_from_text
    from search.shard_analyses import keywords_over

    refuse_together(json=as_json, csv=as_csv)
    refuse_together(new=new, vs=vs)                     # --new is its own reference: the year before
    ref = _run(filters_from_text, vs, "--vs") if vs else None
    req = _run(KeywordRequest, _filters(opts), ref, top, new, min_count)
    data = _run(keywords_over, _open(index_dir, cluster, shard_timeout), req)
    if as_json:
        echo_json(data)
    elif as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(KEYWORD_CSV)
        for key in ("words", "under"):
            for w in data[key]:
                writer.writerow([key] + [printable(str(w[k])) for k in KEYWORD_CSV[1:]])
    else:
        _keywords_text(data)


def _describe(part: dict) -> str:
    if part.get("rest"):
        return f"其余全部（{part['paragraphs']} 段，{part['words']} 词）"
    filters = "；".join(f"{k}={'、'.join(map(str, v))}" for k, v in part["filters"].items())
    return f"{printable(filters)}（{part['reports']} 篇报告，{part['paragraphs']} 段，{part['words']} 词）"


def _keywords_text(data: dict):
    click.echo(f"选定：{_describe(data['selection'])}")
    click.echo(f"对照：{_describe(data['reference'])}")
    titles = {"keyness": ("用得多的词（G2 +）", "用得少的词（G2 −）"), "new": ("今年新出现的词", "不再使用的词")}
    for key, title in zip(("words", "under"), titles[data["mode"]]):
        click.echo(f"\n{title}：")
        click.echo("  " + _pad("词", 18) + _pad("G2", 10) + _pad("次数", 8) + _pad("每万词", 9) +
                   _pad("对照", 8) + "对照每万词")
        for w in data[key]:
            click.echo("  " + _pad(printable(w["word"]), 18) + _pad(f"{w['g2']:g}", 10) + _pad(str(w["count"]), 8) +
                       _pad(f"{w['rate']:g}", 9) + _pad(str(w["ref_count"]), 8) + f"{w['ref_rate']:g}")
