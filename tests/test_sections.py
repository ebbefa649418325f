"""The 章节 facet groups one section written several ways; hits keep the section as written."""

from __future__ import annotations

import collections
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from indexer.structure import section_label
from search.engine import search
from search.results import SearchRequest, to_json
from webui import create_app

# how the 31 provinces and the seeds title their review and plan sections
REVIEW = ["2025年和“十四五”时期工作回顾", "“十四五”时期和2025年工作回顾", "2025年工作回顾",
          "2025年及“十四五”时期工作回顾", "“十四五”时期工作回顾", "2023年工作回顾"]
PLAN = ["2026年重点工作", "2026年的重点工作", "2024年重点工作"]


def test_one_section_written_several_ways_has_one_label():
    assert {section_label(s, "回顾") for s in REVIEW} == {"回顾·工作回顾"}
    assert {section_label(s, "部署") for s in PLAN} == {"部署·重点工作"}
    assert section_label("一、“十五五”时期的主要目标任务", "部署") == section_label("“十五五”时期主要目标任务", "部署")
    assert section_label("2023年國民經濟和社會發展計劃執行情況", "回顾") == \
        section_label("2023年国民经济和社会发展计划执行情况", "回顾") == "回顾·国民经济和社会发展计划执行情况"
    assert section_label("2024年經濟社會發展主要預期目標(草案)", "部署") == "部署·经济社会发展主要预期目标"
    # different subjects stay apart, and the part tells a review from a plan
    assert section_label("2026年工作安排", "部署") != section_label("2026年重点工作", "部署")
    assert section_label("全面加强政府自身建设", "部署") == "部署·全面加强政府自身建设"


def hits_of(engine, **params) -> list[dict]:
    req = SearchRequest(q=params.pop("q", ""), filters={k: [v] for k, v in params.items()}, limit=10_000)
    return to_json(search(engine, req))["hits"]


def test_facet_groups_the_sections_as_written(corpus_engine):
    r = to_json(search(corpus_engine, SearchRequest(q="发展", limit=10_000)))
    brute = collections.Counter(section_label(h["section"], h["part"]) for h in r["hits"])
    got = {v["value"]: v["count"] for v in r["facets"]["section_label"]}
    assert got == dict(brute)
    written = {v["value"]: v["count"] for v in r["facets"]["section"]}
    variants = [s for s in written if section_label(s, "回顾") == "回顾·工作回顾"]
    assert len(variants) >= 5
    assert got["回顾·工作回顾"] >= sum(written[s] for s in variants)


def test_filtering_by_the_label_finds_every_variant_and_hits_keep_the_section(corpus_engine):
    hits = hits_of(corpus_engine, section_label="回顾·工作回顾")
    sections = {h["section"] for h in hits}
    assert len(sections) >= 5 and all(section_label(s, "回顾") == "回顾·工作回顾" for s in sections)
    assert all(h["section_label"] == "回顾·工作回顾" for h in hits)
    assert hits_of(corpus_engine, q="section_label:回顾·工作回顾") == hits
    one = hits_of(corpus_engine, section="2025年工作回顾")
    assert one and {h["section"] for h in one} == {"2025年工作回顾"} and set(map(str, one)) < set(map(str, hits))


@pytest.fixture(scope="module")
def client(corpus_index):
    return create_app(corpus_index).test_client()


def sidebar_block(page: str, field: str) -> str:
    return re.search(r'<h3 id="facet-' + field + r'">.*?</section>', page, re.S).group(0)


def test_sidebar_shows_twenty_sections_and_a_more_link(client):
    page = client.get("/?q=发展").get_data(as_text=True)
    block = sidebar_block(page, "section_label")
    values = re.findall(r'data-facet-value="([^"]*)"', block)
    assert len(values) == 20 and "<details" not in block
    more = html.unescape(re.search(r'<p class="fmore"><a href="([^"]+)">更多（其余 (\d+) 项）</a>', block).group(1))
    assert parse_qs(urlsplit(more).query) == {"q": ["发展"], "more": ["section_label"]}
    full = sidebar_block(client.get(more).get_data(as_text=True), "section_label")
    rest = re.search(r"其余 (\d+) 项", block).group(1)
    assert len(re.findall(r'data-facet-value="', full)) == 20 + int(rest) and "收起" in full
    # a value chosen from the long list stays visible when the list is folded again
    last = re.findall(r'<a class="fval" href="([^"]+)" data-facet-value="([^"]*)"', full)[-1]
    chosen = client.get(html.unescape(last[0]).replace("&more=section_label", "")).get_data(as_text=True)
    assert f'data-facet-value="{last[1]}"' in sidebar_block(chosen, "section_label")
