"""``aisector sectors suggest`` and ``sectors categories`` against a local CoinGecko-shaped server:
the snippet is a valid sectors file of the category's largest coins, an unknown category names
the close ones, a rate limit is one line, and the key rides as a header, never printed."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest

from aisector.apps.cli import main
from aisector.core.sectors import parse_sectors
from tests.fault_server import FaultServer, edited, rate_limited

KEY = "CG-suggestKey1234567890"
AI_AGENTS_TOP_10 = [  # tests/fixtures/coingecko_category_markets.json by market cap, by hand
    "virtual-protocol",  # 3.87e9
    "ai16z",  # 1.42 x 1,099,999,000 = 1.562e9
    "goatseus-maximus",  # 0.52 x 999,990,000 = 5.200e8
    "aixbt",  # 0.58 x 874,000,000 = 5.069e8
    "ai-rig-complex",  # 4.700e8
    "griffain",  # 4.099e8
    "freysa-ai",  # 0.048 x 8,190,000,000 = 3.931e8
    "pippin",  # 3.386e8
    "zerebro",  # 3.300e8
    "act-i-the-ai-prophecy",  # 0.34 x 948,000,000 = 3.223e8
]


@pytest.fixture
def upstream(monkeypatch) -> Iterator[FaultServer]:
    with FaultServer() as server:
        monkeypatch.setenv("COINGECKO_API_URL", server.url)
        yield server


def suggested(capsys, *options: str) -> str:
    assert main(["sectors", "suggest", *options]) == 0
    shown = capsys.readouterr()
    assert shown.err == ""
    return shown.out


def comment_of(snippet: str, coin: str) -> str:
    """The trailing comment of ``coin``'s line in the coins list."""
    [line] = [line for line in snippet.splitlines() if line.lstrip().startswith(f'"{coin}",')]
    return line.partition("#")[2].strip()


def test_suggest_prints_a_sectors_table_of_the_largest_coins(upstream, capsys):
    out = suggested(capsys, "ai-agents")
    book = parse_sectors(out)
    [sector] = book.sectors
    assert (sector.key, sector.label) == ("ai-agents", "AI Agents")
    assert list(sector.coins) == AI_AGENTS_TOP_10
    assert comment_of(out, "virtual-protocol") == "VIRTUAL · Virtuals Protocol · market cap $3.87B"
    assert comment_of(out, "freysa-ai") == "FAI · Freysa AI · market cap $393.12M"
    [members] = [r for r in upstream.log if r.route == "markets"]
    assert members.query["category"] == "ai-agents"
    assert (members.query["order"], members.query["per_page"]) == ("market_cap_desc", "10")
    assert upstream.count("categories") == 1


def test_suggest_sorts_by_market_cap_whatever_order_upstream_sends(upstream, capsys):
    upstream.script("markets", edited(lambda rows: rows[::-1]))
    out = suggested(capsys, "ai-agents", "--top", "13")
    coins = tomllib.loads(out)["sectors"]["ai-agents"]["coins"]
    assert coins[:10] == AI_AGENTS_TOP_10
    assert coins[10:] == ["swarms", "cookie", "aimonica-brands"]
    # CoinGecko sends a cap of 0 when it does not know the supply: unknown, not the smallest
    assert comment_of(out, "aimonica-brands") == "AIMONICA · Aimonica Brands · market cap —"


def test_suggest_top_takes_that_many(upstream, capsys):
    out = suggested(capsys, "meme-token", "--top", "3")
    sector = tomllib.loads(out)["sectors"]["meme-token"]
    assert sector == {"label": "Meme", "coins": ["dogecoin", "shiba-inu", "official-trump"]}


def test_upstream_names_cannot_break_out_of_their_comment(upstream, capsys):
    hostile = 'Evil\n[sectors.evil]\ncoins = ["scam"]\x1b[2J'

    def rename(rows: list[dict]) -> list[dict]:
        return [{**row, "name": hostile} if row["id"] == "pippin" else row for row in rows]

    upstream.script("markets", edited(rename))
    out = suggested(capsys, "ai-agents")
    assert list(tomllib.loads(out)["sectors"]) == ["ai-agents"]
    assert comment_of(out, "pippin").startswith(
        'PIPPIN · Evil [sectors.evil] coins = ["scam"] [2J ·'
    )
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("category", "close"),
    [("ai-agent", "ai-agents, ai-agent-launchpad"), ("memes", "meme-token, ai-meme-coins")],
)
def test_an_unknown_category_is_one_line_naming_the_close_ones(upstream, capsys, category, close):
    assert main(["sectors", "suggest", category]) == 2
    shown = capsys.readouterr()
    assert shown.out == ""
    assert shown.err == (
        f"aisector: error: CoinGecko has no category {category!r}; close matches: {close} "
        "(all ids: aisector sectors categories --match TEXT)\n"
    )
    assert upstream.count("markets") == 0


def test_a_rate_limit_is_one_line_with_the_wait(upstream, capsys):
    upstream.script("categories", rate_limited("120"))
    assert main(["sectors", "suggest", "ai-agents"]) == 1
    shown = capsys.readouterr()
    assert shown.out == ""
    assert shown.err == (
        "aisector: error: CoinGecko /api/v3/coins/categories: rate limit reached (HTTP 429: "
        "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing "
        "to subscribe to our API plans for higher rate limits.); it asks us to wait 120 s\n"
    )
    assert upstream.count("categories") == 1  # a 2-minute wait is not slept through


@pytest.mark.parametrize(
    ("setting", "header"),
    [
        ("COINGECKO_DEMO_API_KEY", "x-cg-demo-api-key"),
        ("COINGECKO_PRO_API_KEY", "x-cg-pro-api-key"),
    ],
)
def test_the_key_rides_as_its_plans_header_and_is_never_printed(
    monkeypatch, capsys, setting, header
):
    monkeypatch.setenv(setting, KEY)
    with FaultServer(api_key=KEY) as server:
        monkeypatch.setenv("COINGECKO_API_URL", server.url)
        out = suggested(capsys, "ai-agents", "--top", "2")
        server.script("categories", rate_limited("120"))
        assert main(["sectors", "categories"]) == 1
    assert tomllib.loads(out)["sectors"]["ai-agents"]["coins"] == AI_AGENTS_TOP_10[:2]
    assert all(r.authorized and r.headers[header] == "***" for r in server.log)
    assert KEY not in out + capsys.readouterr().err


def test_categories_lists_ids_and_names_largest_first(upstream, capsys):
    assert main(["sectors", "categories", "--match", "ai"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "artificial-intelligence  Artificial Intelligence (AI) ($48.20B)",
        "ai-agents                AI Agents ($14.65B)",
        "ai-agent-launchpad       AI Agent Launchpad ($4.10B)",
        "ai-meme-coins            AI Meme ($2.90B)",
        "ai-framework             AI Framework ($2.60B)",
    ]
    assert main(["sectors", "categories", "--match", "MEME"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "solana-meme-coins  Solana Meme ($24.80B)",
        "ai-meme-coins      AI Meme ($2.90B)",
        "meme-token         Meme (—)",  # CoinGecko sent no market cap
    ]


@pytest.mark.parametrize("top", ["0", "251", "ten"])
def test_top_must_be_a_count_of_one_page(capsys, top):
    with pytest.raises(SystemExit) as stopped:
        main(["sectors", "suggest", "ai-agents", "--top", top])
    assert stopped.value.code == 2
    assert "is not a number of coins from 1 to 250" in capsys.readouterr().err
