"""The optional ``[coins.<id>]`` tables of the sectors file: aliases over time and DEX tokens."""

from __future__ import annotations

import pandas as pd
import pytest

from aisector.core.errors import ConfigError
from aisector.core.sectors import Alias, DexToken, load_sectors, parse_sectors

SECTORS = '[sectors.ai]\ncoins = ["ai16z", "agent-x", "pippin"]\n'
ADDRESS = "AgentX7qVh4mQk2s9Lw3Nd8Rf5Tb6Yc1Zp4pump"


def test_the_shipped_file_knows_ai16z_became_elizaos():
    book = load_sectors()
    assert book.aliases() == {"ai16z": (Alias("elizaos", pd.Timestamp("2025-11-06", tz="UTC")),)}
    assert book.id_breaks().to_dict("records") == [
        {
            "coin_id": "ai16z",
            "timestamp": pd.Timestamp("2025-11-06", tz="UTC"),
            "from_id": "ai16z",
            "to_id": "elizaos",
        }
    ]
    assert "elizaos" not in book.coins()  # an alias is not another member


def test_files_without_coin_tables_read_as_before():
    book = parse_sectors(SECTORS)
    assert book.coin_info == {} and book.aliases() == {} and book.dex_tokens() == {}
    assert book.id_breaks().empty


def test_aliases_and_dex_tokens_are_read_and_ordered_by_date():
    book = parse_sectors(
        SECTORS
        + "[coins.ai16z]\n"
        + 'aliases = [{ id = "eliza-v3", since = 2026-02-01T12:00:00Z }, { id = "elizaos", since = 2025-11-06 }]\n'
        + f'[coins.agent-x]\ndex = "solana:{ADDRESS}"\n'
        + '[coins.pippin]\ndex = "base:0x4200000000000000000000000000000000000006"\n'
    )
    assert [a.id for a in book.aliases()["ai16z"]] == ["elizaos", "eliza-v3"]
    assert book.aliases()["ai16z"][1].since == pd.Timestamp("2026-02-01 12:00", tz="UTC")
    assert book.dex_tokens() == {
        "agent-x": DexToken("solana", ADDRESS),
        "pippin": DexToken("base", "0x4200000000000000000000000000000000000006"),
    }
    assert book.id_breaks()[["from_id", "to_id"]].values.tolist() == [
        ["ai16z", "elizaos"],
        ["elizaos", "eliza-v3"],
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[coins.ai16z]\naliases = ["elizaos"]', "need an id and the date of the switch"),
        ('[coins.ai16z]\naliases = "elizaos"', "aliases must be a list"),
        ('[coins.ai16z]\naliases = [{ id = "elizaos" }]', "need an id and the date of the switch"),
        ('[coins.ai16z]\naliases = [{ id = "elizaos", since = "soon" }]', "'soon' is not a date"),
        ('[coins.ai16z]\naliases = [{ id = "elizaos", since = 12:00:00 }]', "since must be a date"),
        ('[coins.ai16z]\naliases = [{ id = "ElizaOS", since = 2025-11-06 }]', "ids are lower-case"),
        ('[coins.ai16z]\naliases = [{ id = "ai16z", since = 2025-11-06 }]', "the coin's own id"),
        (
            '[coins.ai16z]\naliases = [{ id = "pippin", since = 2025-11-06 }]',
            "'pippin' already names",
        ),
        (
            '[coins.ai16z]\naliases = [{ id = "x", since = 2025-11-06 }]\n'
            '[coins.pippin]\naliases = [{ id = "x", since = 2025-11-06 }]',
            "'x' already names another coin or alias",
        ),
        ("[coins.ai16z]\nsymbol = 'AI16Z'", "coins.ai16z has unknown key(s) symbol"),
        (f'[coins.ghost]\ndex = "solana:{ADDRESS}"', "coins.ghost is in no sector"),
        ('[coins.agent-x]\ndex = "solana"', 'dex must look like "solana:<token address>"'),
        ('[coins.agent-x]\ndex = "Solana:abc def"', "dex must look like"),
        ("[coins.agent-x]\ndex = 42", "dex must look like"),
        ("[coins]\nai16z = 3", "coins.ai16z must be a table"),
    ],
)
def test_mistakes_in_coin_tables_are_one_line_config_errors(table, message):
    with pytest.raises(ConfigError) as caught:
        parse_sectors(SECTORS + table + "\n", origin="my.toml")
    text = str(caught.value)
    assert message in text and text.startswith("my.toml:") and "\n" not in text


def test_a_top_level_coins_value_that_is_not_tables_is_named():
    with pytest.raises(ConfigError, match=r"coins must be tables like \[coins.ai16z\]"):
        parse_sectors("coins = 3\n" + SECTORS)
