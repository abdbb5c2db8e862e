"""The plain-language story of one window's numbers, for the report (and any screen that wants it).

Pure text from ``SectorViews``: which sector led and lagged (by cap-weighted index return, with
its market-cap change and how many members counted), where the volume share moved between the
window's first and last timestamp, and the top movers. Sentences are plain text; ``markdown``
escapes them, because sector labels and token symbols come from files and upstream APIs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pandas as pd

from aisector.analytics.index import CAP_WEIGHTED
from aisector.analytics.sector_stats import (
    CAP_COUNTED,
    COUNTED,
    MARKET_CAP_CHANGE,
    MEMBERS,
    return_column,
)
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import CHANGE, LABEL
from aisector.analytics.usage import (
    BELOW_PEAK,
    FROM_PEAK,
    KIND,
    PEAK_DATE,
    PRICE_CHANGE,
    USAGE_CHANGE,
)
from aisector.analytics.views import SectorViews
from aisector.core.schema import COIN_ID, DATE, METRIC, PROTOCOL, SECTOR, SYMBOL, TIMESTAMP
from aisector.present.missing import missing_reason

RANKED_BY = return_column(CAP_WEIGHTED)
STEADY_SHARE = 0.0005  # a move under 0.05 percentage points reads "+0.0 pp": say "steady" instead
# Enough to keep data text literal inside our own lines (which never start with data): emphasis,
# links, code, inline HTML, tables, strike-through. "+10.47%" and "(…)" stay readable in the file.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def ranked_sectors(views: SectorViews) -> pd.DataFrame:
    """Sectors with a cap-weighted return over the window, best first."""
    ranked = views.sectors.dropna(subset=[RANKED_BY])
    return ranked.sort_values(RANKED_BY, ascending=False, kind="stable")


def headline(views: SectorViews) -> str:
    """One line for a title: who led the window."""
    ranked = ranked_sectors(views)
    if ranked.empty:
        return f"No sector has a cap-weighted return over the last {views.window}"
    best = ranked.iloc[0]
    return f"{best[LABEL]} led the last {views.window} ({best[RANKED_BY]:+.2%})"


def window_sentences(views: SectorViews) -> tuple[str, ...]:
    """The window's story: leader and laggard, ranking, rotation, top movers."""
    sentences = [leader_sentence(views), ranking_sentence(views), rotation_sentence(views)]
    sentences += movers_sentences(views)
    return tuple(s for s in sentences if s)


def leader_sentence(views: SectorViews) -> str:
    """'AI agents led (+10.47% market cap, 12/12 members); Meme lagged (...)'."""
    ranked = ranked_sectors(views)
    if ranked.empty:
        return (
            f"No sector has a cap-weighted return over the last {views.window}: "
            f"{_why_unranked(views)}."
        )
    text = f"{ranked.iloc[0][LABEL]} led {_sector_figures(ranked.iloc[0])}"
    if len(ranked) > 1:
        text += f"; {ranked.iloc[-1][LABEL]} lagged {_sector_figures(ranked.iloc[-1])}"
    return text + "."


def ranking_sentence(views: SectorViews) -> str:
    """Every sector's cap-weighted index return, best first."""
    ranked = ranked_sectors(views)
    if len(ranked) < 3:
        return ""
    moves = ", ".join(f"{row[LABEL]} {row[RANKED_BY]:+.2%}" for _, row in ranked.iterrows())
    return f"Cap-weighted sector indices: {moves}."


def rotation_sentence(views: SectorViews) -> str:
    """The biggest gain and loss of volume share between the window's first and last timestamp."""
    shift = volume_share_shift(views)
    if len(shift) < 2:
        return ""
    if shift["shift"].abs().max() < STEADY_SHARE:
        return f"Volume shares held steady over the last {views.window} (no sector moved 0.05 pp)."
    into, out_of = shift.iloc[0], shift.iloc[-1]
    return (
        f"Volume share moved out of {out_of[LABEL]} ({_share_move(out_of)}) "
        f"and into {into[LABEL]} ({_share_move(into)})."
    )


def volume_share_shift(views: SectorViews) -> pd.DataFrame:
    """Per sector: volume share at the window's first and last timestamp, biggest gain first."""
    rotation = views.rotation.dropna(subset=[VOLUME_SHARE])
    if rotation.empty:
        return pd.DataFrame(columns=[LABEL, "first", "last", "shift"])
    ends = rotation[TIMESTAMP].agg(["min", "max"])
    first = rotation[rotation[TIMESTAMP] == ends["min"]].set_index(SECTOR)[VOLUME_SHARE]
    last = rotation[rotation[TIMESTAMP] == ends["max"]].set_index(SECTOR)[VOLUME_SHARE]
    shift = pd.DataFrame({"first": first, "last": last}).dropna()
    shift["shift"] = shift["last"] - shift["first"]
    labels = views.sectors.set_index(SECTOR)[LABEL]
    shift[LABEL] = [labels.get(key, key) for key in shift.index]
    return shift.sort_values("shift", ascending=False, kind="stable")


def movers_sentences(views: SectorViews) -> list[str]:
    """The top gainers and the top losers over the window, each with its move."""
    movers = views.movers
    up = movers[movers[CHANGE] > 0].sort_values(CHANGE, ascending=False, kind="stable")
    down = movers[movers[CHANGE] < 0].sort_values(CHANGE, kind="stable")
    sentences = []
    if not up.empty:
        sentences.append(f"Top gainers: {_token_moves(up)}.")
    if not down.empty:
        sentences.append(f"Top losers: {_token_moves(down)}.")
    return sentences


def usage_sentences(
    disagreements: pd.DataFrame,
    labels: Mapping[str, str],
    symbols: Mapping[str, str],
    window: str,
    as_of: pd.Timestamp,
) -> tuple[str, ...]:
    """One sentence per token whose price and protocol usage disagree
    (``usage.usage_price_disagreements``), e.g. 'VIRTUAL +11.95% while Virtuals Protocol
    revenue is -99.84% from its 2 Jan peak (daily revenue on 21 Jan).'; a day of another year
    than ``as_of``'s (the prices') says its year."""
    return tuple(
        _usage_sentence(row, labels.get(row[PROTOCOL], row[PROTOCOL]), symbols, window, as_of.year)
        for _, row in disagreements.iterrows()
    )


def _usage_sentence(
    row: pd.Series, label: str, symbols: Mapping[str, str], window: str, year: int
) -> str:
    token = symbols.get(row[COIN_ID]) or row[COIN_ID]
    metric = row[METRIC]
    if row[KIND] == BELOW_PEAK:
        return (
            f"{token} {row[PRICE_CHANGE]:+.2%} while {label} {metric} is "
            f"{row[FROM_PEAK]:+.2%} from its {_day(row[PEAK_DATE], year)} peak "
            f"(daily {metric} on {_day(row[DATE], year)})."
        )
    return (
        f"{token} {row[PRICE_CHANGE]:+.2%} while {label} {metric} is "
        f"{row[USAGE_CHANGE]:+.2%} over the last {window} (against the {window} before)."
    )


def _day(stamp: pd.Timestamp, year: int) -> str:
    """'2 Jan' (no zero padding, on every platform), '30 Dec 2024' when not in ``year``."""
    return f"{stamp.day} {stamp:%b}" + ("" if stamp.year == year else f" {stamp.year}")


def token_name(row: pd.Series) -> str:
    """The ticker, or the coin id where the source gave none."""
    symbol = row.get(SYMBOL)
    return str(symbol) if isinstance(symbol, str) and symbol.strip() else str(row[COIN_ID])


def markdown(
    title: str,
    badge: str,
    windows: Mapping[str, Sequence[str]],
    footer: Sequence[str] = (),
    alerts: Sequence[str] = (),
) -> str:
    """The summary as a Markdown document: title, data badge, one bullet list per window, and
    the recent alerts when there are any."""
    lines = [f"# {escape_markdown(title)}", "", f"**{escape_markdown(badge)}**", ""]
    sections = {f"Last {window}": sentences for window, sentences in windows.items()}
    if alerts:
        sections[f"Recent alerts ({len(alerts)})"] = alerts
    for heading, sentences in sections.items():
        lines += [f"## {escape_markdown(heading)}", ""]
        lines += [f"- {escape_markdown(sentence)}" for sentence in sentences]
        lines.append("")
    for paragraph in footer:
        lines += [escape_markdown(paragraph), ""]
    return "\n".join(lines)


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown syntax, so a token named ``<b>`` or ``[x](y)`` stays literal."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _sector_figures(row: pd.Series) -> str:
    """'(+10.47% market cap, 12/12 members)', plus the index return where it reads differently."""
    cap, index = row[MARKET_CAP_CHANGE], row[RANKED_BY]
    if pd.isna(cap):
        return f"(cap-weighted index {index:+.2%}, {row[COUNTED]}/{row[MEMBERS]} members priced)"
    text = f"({cap:+.2%} market cap, {row[CAP_COUNTED]}/{row[MEMBERS]} members"
    if f"{cap:+.2%}" != f"{index:+.2%}":
        text += f"; cap-weighted index {index:+.2%}"
    return text + ")"


def _why_unranked(views: SectorViews) -> str:
    """The reason the first sector gives for its missing cap-weighted return."""
    reasons = [missing_reason(row, RANKED_BY) for _, row in views.sectors.iterrows()]
    return next((r for r in reasons if r), "no sector is tracked")


def _share_move(row: pd.Series) -> str:
    """'21.2% → 17.4%, -3.7 pp'."""
    return f"{row['first']:.1%} → {row['last']:.1%}, {row['shift'] * 100:+.1f} pp"


def _token_moves(movers: pd.DataFrame) -> str:
    return ", ".join(f"{token_name(row)} {row[CHANGE]:+.2%}" for _, row in movers.iterrows())
