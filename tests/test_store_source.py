"""``--source store`` and ``auto``: an empty or missing store falls through, a broken one stops."""

from __future__ import annotations

import json

import pytest

from aisector.apps.cli import main
from aisector.core.errors import SourceError
from aisector.store import open_store
from aisector.store.source import StoreSource
from connectors.offline import COINS, OfflineMarket
from tests.store_workers import story


@pytest.fixture
def store_path(tmp_path, monkeypatch):
    path = tmp_path / "data" / "history.sqlite"
    monkeypatch.setenv("AISECTOR_STORE", str(path))
    return path


def export_tokens(tmp_path, *options: str) -> tuple[int, dict]:
    out = tmp_path / "tokens.csv"
    code = main(["export", "tokens", "--out", str(out), *options])
    provenance = out.with_suffix(".json")
    return code, json.loads(provenance.read_text()) if provenance.exists() else {}


def test_a_missing_store_is_a_source_error_and_is_not_created(store_path):
    with pytest.raises(
        SourceError, match=r"no history store at .* yet; fill it with `aisector collect`"
    ):
        StoreSource().market_history(["bitcoin"])
    assert not store_path.parent.exists()


def test_auto_falls_back_to_the_offline_market_when_the_store_is_missing(
    store_path, tmp_path, capsys
):
    code, provenance = export_tokens(tmp_path)
    assert code == 0
    assert provenance["source_label"] == "offline – simulated market"
    assert "store unavailable: no history store" in capsys.readouterr().err
    assert not store_path.exists()


def test_auto_falls_back_when_the_store_holds_no_rows(store_path, tmp_path):
    open_store().close()
    code, provenance = export_tokens(tmp_path)
    assert code == 0
    assert provenance["source"] == "offline"
    assert any("holds no rows yet" in warning for warning in provenance["warnings"])


def test_auto_reads_the_store_once_it_holds_rows(store_path, tmp_path):
    with open_store() as store:
        store.write(OfflineMarket().market_history([coin.coin_id for coin in COINS]))
    code, provenance = export_tokens(tmp_path)
    assert code == 0
    assert provenance["source"] == "store"
    assert [w.split(":")[0] for w in provenance["warnings"]] == ["coingecko unavailable"]


def test_a_store_without_the_asked_coins_says_so(store_path, tmp_path, capsys):
    with open_store() as store:
        store.write(story().query("coin_id == 'bitcoin'"))
    sectors = tmp_path / "few.toml"
    sectors.write_text(
        '[sectors.x]\nlabel = "X"\ncoins = ["pippin"]\n\n[benchmark]\ncoins = ["ai16z"]\n'
    )
    code, _ = export_tokens(tmp_path, "--source", "store", "--sectors", str(sectors))
    assert code == 1
    assert "has no offline rows for these coins and dates" in capsys.readouterr().err


def test_a_corrupt_store_stops_auto_with_one_line_and_stays_untouched(store_path, tmp_path, capsys):
    store_path.parent.mkdir()
    store_path.write_bytes(b"\x00garbage" * 512)
    code, _ = export_tokens(tmp_path)
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0
    assert f"history store {store_path} is not a readable aisector store" in err
    assert store_path.read_bytes() == b"\x00garbage" * 512
