"""One alert check: judge the rules, claim what may fire in the history store, deliver it.

``check_and_notify`` is the one entry point: ``aisector alert`` calls it once; a long-running
collector calls it after each snapshot when a notification target is configured. It never raises
for a delivery problem: failures are retried, recorded on the alert's row and returned as
warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aisector.analytics.market import MarketData
from aisector.analytics.panel import market_panel
from aisector.apps.alert_checks import Finding, evaluate
from aisector.apps.alert_rules import RuleSet, load_rules
from aisector.apps.notify import Delivery
from aisector.core.sectors import SectorBook
from aisector.core.settings import redact
from aisector.sources.live_history import read_under_own_ids
from aisector.store import HistoryStore, open_existing
from aisector.store.alerts import FAILED, PENDING, SENT, UNSENT, Claim, Claimed
from connectors.base import MarketSource

RECENT_LIMIT = 20


@dataclass(frozen=True)
class Alert:
    """An alert this check fired, and what became of its delivery."""

    rule: str
    subject: str
    as_of: pd.Timestamp
    text: str
    status: str
    detail: str | None = None

    def line(self) -> str:
        """One line for the terminal: when, which rule, what, and whether it went out."""
        outcome = self.status if self.detail is None else f"{self.status}: {self.detail}"
        return redact(f"{self.as_of:%Y-%m-%d %H:%M} UTC {self.rule}: {self.text} [{outcome}]")


@dataclass(frozen=True)
class CheckResult:
    """What one check did: alerts fired, figures that were missing, delivery warnings."""

    alerts: tuple[Alert, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]


def check_and_notify(
    store: HistoryStore,
    data: MarketData,
    book: SectorBook,
    rules: RuleSet,
    delivery: Delivery | None,
    as_of: pd.Timestamp | None = None,
    dashboard_url: str | None = None,
    now: pd.Timestamp | None = None,
) -> CheckResult:
    """Judge ``rules`` at ``as_of`` (default: the newest data), send each alert that may fire
    (once per rule and subject per cooldown, across processes), record how delivery went."""
    as_of = data.as_of if as_of is None else as_of
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    judged = evaluate(rules.rules, data.panel, book, as_of)
    cooldowns = {rule.name: rule.cooldown for rule in rules.rules}
    claims = [_claim(f, as_of, cooldowns[f.rule], data, dashboard_url) for f in judged.findings]
    status = PENDING if delivery and delivery.urls else UNSENT
    won = store.claim_alerts(claims, data.label, status, now)
    alerts = [_deliver(store, claimed, delivery, status) for claimed in won]
    warnings = tuple(
        f"alert {a.rule} ({a.subject}) was not delivered: {a.detail}"
        for a in alerts
        if a.status == FAILED
    )
    return CheckResult(tuple(alerts), judged.notes, warnings)


def message_title(finding_text: str) -> str:
    """The notification's title: the finding up to its window ("AI agents +10.47%")."""
    return "aisector: " + finding_text.split(" over ", 1)[0]


def message_body(
    finding: Finding, as_of: pd.Timestamp, data: MarketData, dashboard_url: str | None
) -> str:
    """Plain language with the numbers, the as-of time, the source and a link when given."""
    kind = "live data" if data.live else "not live data"
    lines = [
        finding.text,
        f"As of {as_of:%Y-%m-%d %H:%M} UTC · {data.label} ({kind}) · rule {finding.rule}",
    ]
    if dashboard_url:
        lines.append(f"Dashboard: {dashboard_url}")
    return "\n".join(lines)


def recent_alert_lines(recent: pd.DataFrame) -> tuple[str, ...]:
    """'2025-01-22 00:00 UTC · sector-move-24h · AI agents +10.47% … · sent' per stored alert."""
    return tuple(
        redact(
            f"{row.as_of:%Y-%m-%d %H:%M} UTC · {row.rule} · "
            f"{row.message.splitlines()[0]} · {row.status}"
        )
        for row in recent.itertuples(index=False)
    )


def stored_alert_lines(
    as_of: pd.Timestamp, store_url: str | None = None, limit: int = RECENT_LIMIT
) -> tuple[str, ...]:
    """The newest alerts up to ``as_of`` in the store at ``store_url`` (default: the one in
    force), one line each; none when nothing was ever stored there."""
    store = open_existing(store_url)
    if store is None:
        return ()
    with store:
        recent = store.recent_alerts(limit)
    return recent_alert_lines(recent[recent["as_of"] <= as_of])


def _claim(
    finding: Finding,
    as_of: pd.Timestamp,
    cooldown: pd.Timedelta,
    data: MarketData,
    dashboard_url: str | None,
) -> Claim:
    return Claim(
        rule=finding.rule,
        kind=finding.kind,
        subject=finding.subject,
        message=redact(message_body(finding, as_of, data, dashboard_url)),
        as_of=finding.window_end,
        cooldown=cooldown,
        changed_only=finding.changed_only,
    )


def _deliver(
    store: HistoryStore, claimed: Claimed, delivery: Delivery | None, status: str
) -> Alert:
    claim = claimed.claim
    text = claim.message.splitlines()[0]
    if status == UNSENT or delivery is None:
        return Alert(claim.rule, claim.subject, claim.as_of, text, UNSENT)
    outcome = delivery.send(message_title(text), claim.message)
    detail = redact(outcome.detail) if outcome.detail else None
    final = SENT if outcome.sent else FAILED
    store.record_alert(claimed.id, final, outcome.attempts, detail)
    return Alert(claim.rule, claim.subject, claim.as_of, text, final, detail)


@dataclass(frozen=True)
class RoundAlerts:
    """What a collector checks after each snapshot when notification targets are configured:
    the rules on the store's rows of the source it just collected (no extra upstream call)."""

    rules: RuleSet
    delivery: Delivery
    dashboard_url: str | None = None

    def check(self, store: HistoryStore, book: SectorBook, source: MarketSource) -> CheckResult:
        """Judge the rules on the stored data of the source just collected; send what fires."""
        frame = read_under_own_ids(store, source.name, book.coins(), book.aliases())
        data = MarketData(frame, market_panel(frame), source.name, source.label, source.live)
        rules, delivery, link = self.rules, self.delivery, self.dashboard_url
        return check_and_notify(store, data, book, rules, delivery, None, link)


def round_alerts(
    rules_path: str | Path | None,
    book: SectorBook,
    urls: tuple[str, ...],
    dashboard_url: str | None = None,
) -> RoundAlerts | None:
    """The collector's alert check, or None when no notification target is configured."""
    if not urls:
        return None
    return RoundAlerts(load_rules(rules_path, book), Delivery(urls), dashboard_url)
