"""How numbers, sizes and times read on the pages."""
from __future__ import annotations

from datetime import datetime, timezone


def human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} B"  # unreachable


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
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = int(seconds // size)
            if unit == "day":
                return f"{count} day{'s' if count != 1 else ''} ago"
            return f"{count} {unit} ago"
    return "just now"  # unreachable


def percent(x: float) -> str:
    return f"{x:.1%}"


def compact(x: float) -> str:
    """Short scientific notation for tiny ratios such as graph density."""
    return f"{x:.2e}" if 0 < abs(x) < 1e-3 else f"{x:.4f}"


def count(n: int, noun: str) -> str:
    """'1 playlist', '2,000 playlists'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
