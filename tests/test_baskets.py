"""Custom baskets: a temporary sector added to a sectors file, and its snippet's round trip."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from aisector.core.baskets import (
    BASKET_COLORS,
    DEFAULT_BASKET_NAME,
    Basket,
    basket_key,
    basket_sector,
    coin_choices,
    sector_snippet,
    with_basket,
)
from aisector.core.errors import ConfigError
from aisector.core.sectors import default_sectors_path, load_sectors, parse_sectors

BOOK = parse_sectors(
    """
[sectors.ai]
label = "AI agents"
color = "#db2777"
coins = ["pippin", "ai16z"]

[sectors.memes]
label = "Meme"
coins = ["pepe", "bonk", "dogwifcoin"]

[benchmark]
coins = ["bitcoin"]
""",
    origin="test.toml",
)


def test_a_basket_becomes_the_last_sector_with_its_own_key_and_colour():
    book = with_basket(BOOK, Basket("My picks", ("pepe", "pippin", "pepe")))
    assert [s.key for s in book.sectors] == ["ai", "memes", "my-picks"]
    basket = book.sectors[-1]
    assert basket.label == "My picks"
    assert basket.coins == ("pepe", "pippin")  # picked order, once each
    assert basket.color not in {s.color for s in BOOK.sectors}
    assert basket.color == BASKET_COLORS[1]  # the first basket colour is the file's "ai" colour
    assert book.benchmark == BOOK.benchmark
    assert book.members().query("sector == 'my-picks'")["coin_id"].tolist() == ["pepe", "pippin"]


@pytest.mark.parametrize("basket", [None, Basket("My basket", ())])
def test_an_empty_basket_adds_no_sector(basket):
    assert with_basket(BOOK, basket) is BOOK


def test_a_blank_name_is_the_default_name():
    sector = basket_sector(BOOK, Basket("   ", ("pepe",)))
    assert (sector.key, sector.label) == ("my-basket", DEFAULT_BASKET_NAME)


@pytest.mark.parametrize(
    ("name", "key"),
    [("My basket", "my-basket"), ("AI & Agents 2.0", "ai-agents-2-0"), ("🚀🚀", "basket")],
)
def test_basket_keys_are_sectors_file_keys(name, key):
    assert basket_key(name) == key


@pytest.mark.parametrize(
    "name",
    [
        "ai",  # the key of a file sector
        "AI",  # the same key once lower-cased
        "meme",  # the label of the file sector "memes", whatever its key
        " MEME ",
    ],
)
def test_a_name_a_file_sector_already_has_is_a_clear_error(name):
    with pytest.raises(ConfigError, match=r"already has a sector .*give the basket another name"):
        with_basket(BOOK, Basket(name, ("pepe",)))


def test_the_snippet_pasted_into_the_shipped_file_parses_back_to_the_basket():
    shipped = load_sectors()
    sector = basket_sector(shipped, Basket("Agents I trade", ("pippin", "ai16z", "bittensor")))
    text = default_sectors_path().read_text(encoding="utf-8") + "\n" + sector_snippet(sector)
    pasted = parse_sectors(text, origin="pasted.toml")
    assert pasted.sectors[:-1] == shipped.sectors
    assert pasted.sectors[-1] == sector
    assert pasted.benchmark == shipped.benchmark
    assert pasted.coin_info == shipped.coin_info


@settings(max_examples=150, deadline=None)
@given(name=st.text(max_size=40))
def test_any_name_round_trips_through_the_sectors_parser(name):
    assume(basket_key(name.strip() or DEFAULT_BASKET_NAME) not in {"ai", "memes"})
    assume((name.strip() or DEFAULT_BASKET_NAME).casefold() not in {"ai agents", "meme"})
    sector = basket_sector(BOOK, Basket(name, ("pepe", "ai16z")))
    parsed = parse_sectors(sector_snippet(sector), origin="snippet.toml")
    assert parsed.sectors == (sector,)


@pytest.mark.parametrize("name", ['say "hi"', "back\\slash", "tab\tand\x7fdel", "[sectors.x]"])
def test_quotes_escapes_and_control_characters_survive_the_snippet(name):
    sector = basket_sector(BOOK, Basket(name, ("pepe",)))
    assert parse_sectors(sector_snippet(sector)).sectors[0].label == name


def test_coin_choices_show_symbols_and_the_id_only_when_needed():
    symbols = {"pippin": "PIPPIN", "ai16z": "AI16Z", "pepe": "PEPE", "bonk": "PEPE"}
    choices = coin_choices(BOOK, symbols)
    assert choices == {
        "ai16z": "AI16Z",
        "bitcoin": "bitcoin",  # no symbol in the data: the id
        "dogwifcoin": "dogwifcoin",
        "bonk": "PEPE (bonk)",  # two coins share a symbol: both show their id
        "pepe": "PEPE (pepe)",
        "pippin": "PIPPIN",
    }
    assert list(choices) == ["ai16z", "bitcoin", "dogwifcoin", "bonk", "pepe", "pippin"]
