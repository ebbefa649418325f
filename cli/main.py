"""`govsearch`: the terminal skin over indexer/ and search/.

Like the HTML pages, it only presents: every command is a call into the library
and a rendering of what comes back (text for people, --json for scripts).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import click

from indexer.messages import describe_os_error
from indexer.store import IndexError_, IndexStore, default_index_dir

from .shards import cluster_option, timeout_option
from .usage import ChineseGroup, as_typed
from .terminal import display_width, json_text, pad, printable

index_option = click.option(
    "--index", "index_dir", default=default_index_dir,
    help="索引文件夹（默认 $GOVSEARCH_INDEX，未设则 ./index）。")


def fail(message: str, code: int = 1):
    """One line on stderr, never a traceback."""
    click.echo(f"govsearch: error: {printable(message)}", err=True)
    sys.exit(code)


def refuse_together(**given):
    """Options that ask for different things (--json and --csv; --format, which writes every
    hit, and --page) stop the command in one line, exit 2: one was taken silently before."""
    named = ["--" + name.replace("_", "-") for name, value in given.items() if value]
    if len(named) > 1:
        fail(f"选项 {' 和 '.join(named)} 不能同时使用", 2)


def echo_json(obj):
    click.echo(json_text(obj))


def open_index(index_dir: str):
    try:
        return IndexStore(index_dir).open()
    except IndexError_ as e:
        fail(str(e))


def open_indexes(index_dir: str) -> list:
    """The index, or every shard of a sharded one (indexer/shards.py)."""
    from indexer.layout import shard_dirs

    try:
        return [IndexStore(str(d)).open() for d in shard_dirs(index_dir) or [index_dir]]
    except IndexError_ as e:
        fail(str(e))


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help="中国政府工作报告全文检索。")
@click.version_option(package_name="govsearch", help="显示版本并退出。", message="%(prog)s 版本 %(version)s")
@click.option("-v", "--verbose", count=True, help="在标准错误上记录程序的步骤：-v 每一步，-vv 每个文件。")
def cli(verbose):
    """Full-text search for Chinese government work reports."""
    if verbose:
        _log_to_stderr(logging.DEBUG if verbose > 1 else logging.INFO)


class _PrintableFormatter(logging.Formatter):
    def format(self, record):
        # on a terminal a log line first clears the progress line it interrupts
        clear = "\r" + " " * 100 + "\r" if sys.stderr.isatty() else ""
        line = clear + printable(super().formatMessage(self._with_message(record)))
        if record.exc_info:        # a traceback keeps its lines, each made safe for a terminal
            line += "\n" + "\n".join(map(printable, self.formatException(record.exc_info).splitlines()))
        return line

    @staticmethod
    def _with_message(record):
        record.message = record.getMessage()
        return record


# without -v the library's log records go nowhere: not to Python's last-resort handler,
# which would print an unexpected failure's traceback above its one Chinese line
logging.getLogger("govsearch").addHandler(logging.NullHandler())


def _log_to_stderr(level: int):
    """The library's `govsearch.*` loggers on stderr, every line safe for a terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("govsearch: %(name)s: %(message)s"))
    logger = logging.getLogger("govsearch")
    logger.addHandler(handler)
    logger.setLevel(level)


# --------------------------------------------------------------------------- index

class _Progress:
    """The whole run on one terminal line, phase by phase: reading the sources,
    writing the reports, then the commit (which on a big run takes a third of the
    time: it shows the seconds spent so far).  Silent when stderr is not a terminal."""

    PHASES = {"read": "1/3 读取", "write": "2/3 索引", "commit": "3/3 提交"}

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self._ticker: threading.Thread | None = None
        self._committing = threading.Event()

    def __call__(self, phase: str, done: int, total: int, detail: str = ""):
        if not self.enabled or total == 0:
            return
        if phase == "commit":
            self._commit(done == total)
            return
        width = 24
        filled = int(width * done / total)
        name = printable(os.path.basename(detail))[-32:]
        self._write(f"[{self.PHASES[phase]}] [{'#' * filled}{' ' * (width - filled)}] {done}/{total} {name}")

    def _commit(self, finished: bool):
        if not finished:
            started = time.monotonic()
            self._committing.set()

            def tick():
                while self._committing.is_set():
                    self._write(f"[{self.PHASES['commit']}] 正在写入索引… {time.monotonic() - started:.0f} 秒")
                    time.sleep(0.5)

            self._ticker = threading.Thread(target=tick, daemon=True)
            self._ticker.start()
            return
        self.close()

    def close(self):
        """Stop the commit clock and end the line (also when the run failed)."""
        if self._ticker is not None:
            self._committing.clear()
            self._ticker.join()
            self._ticker = None
            self._write(f"[{self.PHASES['commit']}] 完成")
            sys.stderr.write("\n")

    @staticmethod
    def _write(line: str):
        sys.stderr.write("\r" + line[:100].ljust(100))
        sys.stderr.flush()


@cli.command("index", help="索引报告文件（.txt .md .csv .jsonl .html .mht .docx .doc .pdf）和存放它们的文件夹。\n\n"
             "增量索引：新报告加入，改过的替换，删掉的移除，没变的跳过。有任何来源失败时退出码为 1。")
@click.argument("paths", nargs=-1, required=True)
@index_option
@click.option("--rebuild", is_flag=True, help="在新文件夹里从头建索引，建好后再换上。")
@click.option("--rebuild-if-stale", is_flag=True,
              help="索引是用另一版分析器、索引结构、话题向量表（或另一版指标表）等建的时，直接重建而不是拒绝。")
@click.option("--wait", type=float, default=0.0, help="另一个 govsearch 正在写索引时，最多等它多少秒（默认 0）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度和汇总，只显示警告和失败。")
@click.option("--shards", type=click.IntRange(1, 256), default=None,
              help="按报告编号把报告分到 --index 下这么多个分片索引里（会记录下来；1 到 256）。")
@cluster_option
def index_cmd(paths, index_dir, rebuild, rebuild_if_stale, wait, as_json, quiet, shards, cluster):
    """Index report files (.txt .md .csv .jsonl) and folders of them.

    Incremental: new reports are added, changed ones replaced, deleted ones
    removed, unchanged ones skipped. Exit status 1 when any source failed.
    """
    from indexer.shards import index_sharded, shard_count
    from indexer.writer import index_paths

    from .shards import index_runner

    _check_indicator_table()
    store = IndexStore(index_dir)
    stale = _stale(store, index_dir) if rebuild_if_stale and store.exists() else None
    if stale:
        click.echo(f"govsearch: 索引 {printable(index_dir)} 是{stale}建的：正在重建", err=True)
        rebuild = True
    progress = _Progress(enabled=not (as_json or quiet))
    try:
        shards = shards or shard_count(index_dir)
        if shards:
            ingest = index_runner(cluster)
            run = index_sharded(index_dir, list(paths), shards, rebuild=rebuild, wait=wait, progress=progress,
                                run_shards=ingest and ingest.run_shards, read_many=ingest and ingest.read_many)
        else:
            run = index_paths(index_dir, list(paths), rebuild=rebuild, wait=wait, progress=progress)
    except IndexError_ as e:
        fail(str(e))
    except OSError as e:          # the index folder itself cannot be written (read-only, full)
        fail(f"无法写入索引 {index_dir}：{describe_os_error(e)}")
    except KeyboardInterrupt:
        fail("已中断：索引保持这次运行之前的样子", 130)
    finally:
        progress.close()
    if as_json:
        echo_json(run.as_json())
    else:
        _print_run(run, quiet)
    sys.exit(1 if run.failed else 0)


def _print_run(run, quiet: bool):
    """The outcome for people; with --quiet only what went wrong."""
    if not quiet:
        click.echo(f"新增 {run.added}，更新 {run.updated}，删除 {run.removed}，"
                   f"未变 {run.unchanged}，失败 {len(run.failed)}"
                   f"（索引共 {run.reports} 篇报告、{run.paragraphs} 段，用时 {run.seconds:.1f} 秒）")
        for d in run.duplicates:
            click.echo(f"duplicate: {printable(d['source'])} 与 {printable(d['same_as'])} 内容相同，未重复索引")
        for m in run.moved:
            click.echo(f"moved: {printable(m['from'])} → {printable(m['to'])}")
    for w in run.warnings:
        click.echo(f"warning: {printable(w['source'])}: {printable(w['warning'])}", err=True)
    for f in run.failed:
        click.echo(f"failed: {printable(f['source'])}: {printable(f['error'])}", err=True)


def _check_indicator_table():
    """An edited indicator table that cannot be read stops indexing before it starts, in one line."""
    from indexer.indicators import TableError, load_table

    try:
        load_table()
    except TableError as e:
        fail(str(e))


def _stale(store: IndexStore, index_dir: str) -> str | None:
    """Why the index should be rebuilt (another analyzer, schema, topic table … or
    indicator table), or None."""
    from search.indicators import stale_warning

    part = store.stale_part()
    if part:
        return f"用另一版{part[0]}"
    return "用另一版指标表" if stale_warning(index_dir) else None


def _a_number(_ctx, _param, value):
    # nan passes a range (every comparison with it is false): the watcher then died at its first file
    if value != value:
        raise click.BadParameter("要是 0 到 3600 之间的秒数，给的是 nan")
    return value


@cli.command(help="监视文件夹，报告一到、一改、一删就索引（Ctrl-C 停止）。")
@click.argument("folders", nargs=-1, required=True)
@index_option
@click.option("--debounce", type=click.FloatRange(0.0, 3600.0), default=1.0, callback=_a_number,
              help="文件夹要保持多少秒不变，才索引它的变动，0 到 3600（默认 1.0）。")
@click.option("--polling", is_flag=True, help="定时轮询，不用 inotify。")
def watch(folders, index_dir, debounce, polling):
    """Watch folders and index reports as they arrive, change or disappear (Ctrl-C stops)."""
    import signal
    import threading
    import time as _time

    from indexer.watch import watch_folders

    stop = threading.Event()

    def interrupted(*_):
        # Ctrl-C ends the watch between runs, as SIGTERM does, rather than
        # raising wherever the main thread is; a second Ctrl-C stops at once
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, interrupted)

    def log(line):
        click.echo(f"{_time.strftime('%H:%M:%S')} {printable(line)}", err=False)
        sys.stdout.flush()

    try:
        watch_folders(index_dir, list(folders), log, debounce=debounce, polling=polling, stop=stop)
    except KeyboardInterrupt:
        pass
    except IndexError_ as e:
        fail(str(e))
    click.echo("已停止监视")


# --------------------------------------------------------------------------- stats, reports

@cli.command(help="报告数、段落数，以及按地区、年份、类型和层级的计数。")
@index_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def stats(index_dir, as_json):
    """Reports, paragraphs, and counts per region, year, type and level."""
    from search.catalog import index_stats

    data = index_stats(*open_indexes(index_dir))
    if as_json:
        echo_json(data)
        return
    click.echo(f"{data['reports']} 篇报告，{data['paragraphs']} 段")
    for field, label in (("level", "层级"), ("type", "类型"), ("year", "年份"), ("region", "地区")):
        click.echo(f"\n{label}：")
        for row in data[field]:
            click.echo(f"  {row['count']:>6}  {printable(row['value'])}")


@cli.command(help="每篇报告一行，列出报告级字段：用来检查抽取的结果。")
@index_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def reports(index_dir, as_json):
    """One row per report with its report-level fields: the way to check extraction."""
    from search.catalog import list_reports

    rows = list_reports(*open_indexes(index_dir))
    if as_json:
        echo_json(rows)
        return
    # columns as wide as their widest value, measured in terminal columns (中 is two)
    cells = [[printable(row["report_id"]), str(row["year"] or "----"), printable(row["level"]),
              printable(row["region"]), printable(row["type"]), printable(row["date"] or ""),
              f"{row['units']} 段"] for row in rows]
    widths = [max((display_width(c[i]) for c in cells), default=0) for i in range(7)]
    for row, c in zip(rows, cells):
        line = "  ".join(pad(v, w, right=i == 6) for i, (v, w) in enumerate(zip(c, widths)))
        click.echo(f"{line}  {printable(row['title'])}")
        speaker = f"  ({printable(row['speaker'])})" if row["speaker"] else ""
        click.echo(" " * (widths[0] + 2) + printable(row["source"]) + speaker)


# --------------------------------------------------------------------------- indicators

def _filter_help(name: str) -> str:
    """A report filter's help, as query's option of that name says it (search/fields.py)."""
    from search.fields import BY_NAME

    return BY_NAME[name].help


@cli.command(help="报告里写的目标和完成情况：GDP 增速、CPI、城镇新增就业……\n\n"
                  "每个数值都链接到它的段落（报告编号和 ¶）。指标名、别名和读法见 indexer/indicators.csv。")
@index_option
@click.option("--name", multiple=True, help="指标：GDP、CPI、城镇新增就业……或任一别名（地区生产总值）；"
                                            "可重复给出多个。默认：全部。")
@click.option("--role", multiple=True, help="target（当年目标）、result（上年完成）或 plan（五年规划）；"
                                            "可重复给出多个。")
@click.option("--measure", multiple=True, help="growth（增速）或 level（数值）。")
@click.option("--kind", multiple=True, help="预期性或约束性（报告写明的）。")
@click.option("--year", multiple=True, help="数值所属的年份：2026，或范围 2024-2026。")
@click.option("--report-year", multiple=True, help="写出这个数值的报告的年份。")
@click.option("--region", multiple=True, help=_filter_help("region"))
@click.option("--province", multiple=True, help=_filter_help("province"))
@click.option("--city", multiple=True, help=_filter_help("city"))
@click.option("--district", multiple=True, help=_filter_help("district"))
@click.option("--level", multiple=True, help="国家、省级、地市级或县区级。")
@click.option("--type", "type_", multiple=True, help="政府工作报告、计划报告、预算报告、讲话或其他。")
@click.option("--report-id", multiple=True, help=_filter_help("report_id"))
@click.option("--quotes", is_flag=True, help="同时列出写出每个数值的句子或表格行。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 列表输出（与 /api/indicators 相同）。")
@click.option("--csv", "as_csv", is_flag=True, help="以带表头的 CSV 输出。")
def indicators(index_dir, quotes, as_json, as_csv, **opts):
    """Targets and results the reports state: GDP growth, CPI, new urban jobs, …

    Every value links back to its paragraph (report id and ¶). Names, aliases and
    how they are read: indexer/indicators.csv.
    """
    from indexer.indicators import TableError
    from search.indicators import IndicatorRequest, IndicatorRequestError, all_facts, select, sort_key, stale_warning

    refuse_together(json=as_json, csv=as_csv)
    params = {name: list(values) for name, values in opts.items()}
    params["type"] = params.pop("type_")
    try:
        req = IndicatorRequest.from_params(lambda k: params.get(k, []))
    except IndicatorRequestError as e:
        fail(as_typed(str(e)), 2)
    except TableError as e:
        fail(str(e))
    indexes = open_indexes(index_dir)
    warning = stale_warning(index_dir)
    if warning:
        click.echo(f"govsearch: warning: {warning}", err=True)
    facts = all_facts(indexes[0]) if len(indexes) == 1 else \
        sorted((f for ix in indexes for f in all_facts(ix)), key=sort_key)
    facts = select(facts, req)
    if as_json:
        echo_json(facts)
    elif as_csv:
        _print_csv(facts)
    else:
        _print_facts(facts, quotes)


def _print_csv(facts):
    import csv

    from search.indicators import JSON_FIELDS

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(JSON_FIELDS)
    for f in facts:
        writer.writerow(["" if f[k] is None else printable(f[k]) for k in JSON_FIELDS])


def _print_facts(facts, quotes: bool):
    from search.indicators import MEASURE_LABELS, ROLE_LABELS, value_text

    if not facts:
        click.echo("没有符合条件的指标")
        return
    current = None
    for f in facts:
        group = (f["canonical"], f["measure"])
        if group != current:
            current = group
            click.echo(f"\n{printable(f['canonical'])}  {printable(f['label'])} · {MEASURE_LABELS[f['measure']]}")
        period = f" {f['period']}" if f["period"] else ""
        click.echo(f"  {pad(printable(f['region']), 18)} {pad(str(f['year']) + period, 10)} "
                   f"{ROLE_LABELS[f['role']]}  {pad(printable(value_text(f)), 16)} {pad(f['kind'] or '', 6)} "
                   f"{f['report_id']} ¶{f['para_no']}")
        if quotes:
            click.echo(f"      {printable(f['quote'])}")
    click.echo(f"\n共 {len(facts)} 条")


# --------------------------------------------------------------------------- query

def filter_options(command):
    """One repeatable option per filter field of search/fields.py (--province, --year, …)."""
    from search.fields import FILTERS

    for spec in reversed(FILTERS):
        command = click.option(f"--{spec.name.replace('_', '-')}", spec.name, multiple=True,
                               help=spec.help or None)(command)
    return command


@cli.command(help="检索：按原样的词（同时满足）、\"精确短语\"、OR、NOT/-词、( )、字段:值 筛选。\n\n"
                  "TEXT 为 - 时从标准输入读检索式。")
@click.argument("text", required=False, default="")
@index_option
@filter_options
@click.option("--match", "match", type=click.Choice(["exact", "words"]), default="exact",
              help="exact：按原样匹配每个词（同 Ctrl-F，含同义词；默认）；words：按 jieba 分词匹配。")
@click.option("--limit", default=None, help="每页条数，1 到 10000（默认 10）。")
@click.option("--page", default=None, help="页码，从 1 开始。")
@click.option("--sort", default=None, help="relevance（相关度，默认）、year（年份从早到晚）或 -year。")
@click.option("--by-report", is_flag=True, help="按报告分组显示。")
@click.option("--json", "as_json", is_flag=True, help="输出与网页 API 相同的 JSON。")
@click.option("--format", "export_format", type=click.Choice(["csv", "jsonl", "md"]), default=None,
              help="逐条输出全部结果（不止一页）：CSV、JSON lines 或 Markdown 引文列表"
                   "（region, province, year, type, title, section, para_no, text, url）。")
@cluster_option
@timeout_option
def query(text, index_dir, as_json, export_format, cluster, shard_timeout, **opts):
    """Search: terms as written (AND), "exact phrases", OR, NOT/-term, ( ), field:value filters.

    TEXT "-" reads the query from standard input.
    """
    from search.engine import Engine, search
    from search.fields import FILTER_PARAMS
    from search.shards import sharded_search

    from .shards import shards_for
    from search.query import QuerySyntaxError
    from search.results import RequestError, SearchRequest, to_json

    refuse_together(json=as_json, format=export_format)
    refuse_together(format=export_format, page=opts["page"])       # --format writes every hit
    refuse_together(format=export_format, limit=opts["limit"])
    refuse_together(format=export_format, by_report=opts["by_report"])
    if text == "-":                       # a query too long for the command line
        text = sys.stdin.read().rstrip("\n")
    params = {"q": [text], "limit": [opts["limit"]], "page": [opts["page"]], "sort": [opts["sort"]],
              "by_report": ["1" if opts["by_report"] else ""], "match": [opts["match"]]}
    for name in FILTER_PARAMS:
        params[name] = list(opts[name])
    try:
        req = SearchRequest.from_params(lambda k: params.get(k, []),
                                        lambda k: (params.get(k) or [None])[0])
        shards = shards_for(index_dir, cluster, shard_timeout)
        if export_format:
            return _export(shards or Engine(index_dir), req, export_format)
        result = sharded_search(shards, req) if shards else search(Engine(index_dir), req)
    except (QuerySyntaxError, RequestError) as e:
        fail(as_typed(str(e)), 2)
    except IndexError_ as e:
        fail(str(e))
    _warn_if_partial(result)
    if as_json:
        echo_json(to_json(result))
        return
    _print_result(result, color=sys.stdout.isatty())


def _warn_if_partial(result):
    """A sharded answer without some shards says so on stderr: only the JSON said it, and
    the text printed smaller totals as if whole (88 段 for 113, exit 0)."""
    part = result.shards
    if part and part.get("failed"):
        missing = "、".join(str(f.get("shard")) for f in part["failed"])
        click.echo(f"govsearch: warning: 结果不完整：{part['total']} 个分片中有 {len(part['failed'])} 个"
                   f"没有回答（第 {missing} 个），总数和分面都偏小", err=True)


def _export(index, req, export_format: str):
    """Every hit in the search's order, written as it is read (flat memory on one
    index; over shards, the global order's keys are held)."""
    from search.export import render
    from search.shard_analyses import export_over

    _total, rows = export_over(index, req)
    out = sys.stdout
    for chunk in render(rows, export_format):
        out.write(chunk)
    out.flush()


def _context_ansi(html_text: str) -> str:
    """A heading's section opening (HTML with <mark>) in the form ``_marked`` takes."""
    import html as _html

    return _html.unescape(html_text.replace("<mark>", _MARK_ON).replace("</mark>", _MARK_OFF))


def _print_result(result, color: bool):
    grouped = result.groups is not None
    first = (result.page - 1) * result.limit + 1
    shown = len(result.groups) if grouped else len(result.hits)
    if result.filters:
        from search.fields import BY_NAME

        taken = "；".join(f"{BY_NAME[f].label}={'、'.join(map(str, v)) or '（无此值）'}"
                         for f, v in result.filters.items())
        click.echo(f"筛选条件：{printable(taken)}")
    shown_range = f"{first}–{first + shown - 1}" if shown else "0–0"
    click.echo(f"{result.total} 段匹配" + (f"，在 {result.total_reports} 篇报告里" if grouped else "") +
               f"（{result.took_ms:.0f} 毫秒）；这里是第 {shown_range} {'篇报告' if grouped else '段'}，"
               f"共 {result.total_reports if grouped else result.total} {'篇' if grouped else '段'}")
    if grouped:
        for g in result.groups:
            click.echo(f"\n■ {printable(g.region)} · {g.year} · {printable(g.type)}  {printable(g.title)}"
                       f"  — {g.total} 段")
            for h in g.hits:
                _print_hit(h, color, "    ")
            if g.total > len(g.hits):
                click.echo(f"    … 本报告还有 {g.total - len(g.hits)} 段")
    else:
        for i, h in enumerate(result.hits, first):
            click.echo(f"\n[{i}]")
            _print_hit(h, color)
    click.echo("")
    _print_facets(result.facets)


def _print_hit(h, color: bool, indent: str = "  "):
    path = printable(" › ".join(h.heading_path[-3:]))
    click.echo(f"{indent}{printable(h.region)} · {h.year or '----'} · {printable(h.type)}  {printable(h.title)}")
    if path:
        click.echo(f"{indent}  {path}")
    click.echo(f"{indent}  {_marked(h.highlight_ansi, color)}")
    if h.context:
        click.echo(f"{indent}  ↳ {_marked(_context_ansi(h.context), color)}")
    click.echo(f"{indent}  {printable(h.source)} #p-{h.para_no}  （得分 {h.score:.2f}）")


def _print_facets(facets: dict):
    from search.fields import BY_NAME

    for field, values in facets.items():
        if values:
            listed = ", ".join(f"{printable(v.value)} {v.count}" + ("*" if v.selected else "")
                               for v in values[:8])
            more = f", … 还有 {len(values) - 8} 个" if len(values) > 8 else ""
            click.echo(f"{BY_NAME[field].label if field in BY_NAME else field}：{listed}{more}")


_MARK_ON, _MARK_OFF = "\x1b[1;31m", "\x1b[0m"


def _marked(highlight_ansi: str, color: bool) -> str:
    """A hit's text with its matches marked: our own colour codes (or 【】), and
    any control character of the text itself escaped."""
    on, off = (_MARK_ON, _MARK_OFF) if color else ("【", "】")
    return on.join(off.join(printable(piece) for piece in part.split(_MARK_OFF))
                   for part in highlight_ansi.split(_MARK_ON))


# --------------------------------------------------------------------------- serve

class WholeNumber(click.ParamType):
    """An option that takes a whole number within bounds, said plainly when it is not."""

    name = "integer"

    def __init__(self, lo: int, hi: int, note: str = ""):
        self.lo, self.hi, self.note = lo, hi, note

    def convert(self, value, param, ctx):
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not self.lo <= number <= self.hi:
            given = f"给的是 {str(value)[:20]}" if str(value).strip() else "没有给值"
            self.fail(f"要是 {self.lo} 到 {self.hi} 之间的整数{self.note}，{given}", param, ctx)
        return number


@cli.command(help="用生产级 WSGI 服务器（waitress）提供网页界面。")
@index_option
@click.option("--host", default="127.0.0.1", help="监听的地址（默认 127.0.0.1；0.0.0.0：所有地址）。")
@click.option("--port", default=5000, type=WholeNumber(0, 65535, "（0：任一空闲端口）"),
              help="0 到 65535（默认 5000）；0 表示任一空闲端口。")
@click.option("--threads", default=8, type=WholeNumber(1, 256),
              help="同时处理的请求数，1 到 256（默认 8）。")
@click.option("--workers", default=1, type=WholeNumber(1, 64),
              help="在同一端口上应答的进程数，1 到 64（默认 1）：检索时占着 Python 的全局锁，一个进程"
                   "只用一个核；每个进程各占一份打开的索引的内存。")
@cluster_option
@timeout_option
def serve(index_dir, host, port, threads, workers, cluster, shard_timeout):
    """Serve the web UI with a production WSGI server (waitress)."""
    from indexer.layout import shard_dirs
    from webui.server import ServeError, serve as run_server

    from .shards import shards_for

    try:
        for d in shard_dirs(index_dir) or [index_dir]:
            IndexStore(str(d)).open()
        if cluster and workers > 1:
            raise ServeError("用 --cluster 时 --workers 只能是 1：搜索由集群上的分片来做")
        shards = shards_for(index_dir, cluster, shard_timeout) if cluster else None
        run_server(index_dir, host=host, port=port, threads=threads, workers=workers, shards=shards)
    except (IndexError_, ServeError) as e:
        fail(str(e))


from .analysis import keywords, trend  # noqa: E402  (the commands need the helpers above)

cli.add_command(trend)
cli.add_command(keywords)


def _raised_reading_the_index(e: Exception) -> bool:
    """The error came from Whoosh reading the index's files (a segment file cut short or
    deleted: Invalid argument, a bad postings block, truncated pickle data): a damaged
    index, which --rebuild mends, not a bug of ours to report."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    return bool(frames) and "/whoosh/" in frames[-1].filename.replace("\\", "/")


def main():
    """The `govsearch` command: a wrong option or value is one line too, not a usage page."""
    try:
        code = cli.main(prog_name="govsearch", standalone_mode=False)
    except click.exceptions.Abort:
        fail("已中断", 130)
    except click.exceptions.NoArgsIsHelpError as e:     # `govsearch` alone: its help page, as click shows it
        click.echo(e.ctx.get_help(), err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        from .usage import usage_message

        fail(usage_message(e), e.exit_code)
    except Exception as e:  # noqa: BLE001 - a bug of ours: one line for the person, the traceback under -v
        logging.getLogger("govsearch.cli").error("意外的内部错误", exc_info=True)
        from indexer.messages import library_detail

        if _raised_reading_the_index(e):
            fail("索引的文件读不出来，可能已损坏：请重建，`govsearch index --rebuild --index 文件夹 路径...`"
                 + library_detail(e))
        fail("出了意外的内部错误，没有完成：请加 -v 重新运行，把输出报告给维护者" + library_detail(e))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
