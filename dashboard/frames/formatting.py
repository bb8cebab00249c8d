"""How numbers, sizes and times read on the pages."""
from __future__ import annotations

import math
from datetime import datetime, timezone

# How the pages name each model (the keys are the names runs record).
MODEL_LABELS = {"gnn": "GraphSAGE", "popularity": "Popularity", "itemknn": "Item kNN",
                "als": "ALS", "rp3beta": "RP3beta", "ease": "EASE^R",
                "reranked": "Two-stage model"}


def human_bytes(n: int) -> str:
    """'512 B', '96.0 KB', '30.8 MB' (binary units)."""
    value, unit = float(n), "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"


def when(iso: str | None, now: datetime | None = None) -> str:
    """'2025-11-23 13:40 UTC · 5 min ago'; 'never' for None; unparseable text is shown as is."""
    if not iso:
        return "never"
    try:
        at = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    at = at.astimezone(timezone.utc)
    seconds = ((now or datetime.now(timezone.utc)) - at).total_seconds()
    return f"{at:%Y-%m-%d %H:%M} UTC · {ago(seconds)}"


def ago(seconds: float) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def percent(x: float) -> str:
    return f"{x:.1%}"


def density(x: float) -> str:
    """A share that is usually tiny, as a percentage with three significant digits:
    8.63e-04 -> '0.0863%'."""
    if x <= 0:
        return "0%"
    return f"{float(f'{x * 100:.3g}'):,.{max(0, 2 - math.floor(math.log10(x * 100)))}f}%"


def duration(seconds: float) -> str:
    """'45 s', '3 min 20 s', '1 h 05 min'."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def count(n: int, noun: str) -> str:
    """'1 playlist', '2,000 playlists'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
