"""The Crawl page's playlist tables, with every cell saying what it means: a blank left by
the crawl's data (the seed has no finding artist; an unreachable or queued playlist has no
track count) becomes the reason, never NaN or None."""
from __future__ import annotations

import pandas as pd

DASH = "—"


def _reason_parts(reason: object) -> tuple[str, str]:
    """'403 forbidden: the API shows …' -> ('403 forbidden', 'the API shows …'); a reason
    with no explanation after a colon is all head."""
    text = ("" if pd.isna(reason) else str(reason).strip()) or "no reason recorded"  # None, NaN
    head, _, why = text.partition(":")
    return head.strip(), why.strip()


def _reason_code(reason: object) -> str:
    """'403 forbidden: …' -> '403'; the head of a reason that starts with no status."""
    head = _reason_parts(reason)[0]
    status = head.split(" ", 1)[0]
    return status if status.isdigit() else head


def _count_cell(value: object, status: str, reason: object) -> str:
    if status == "unreachable":
        return f"{DASH} (unreachable: {_reason_code(reason)})"
    if status == "queued":
        return f"{DASH} (not visited yet)"
    if value is None or pd.isna(value):
        return DASH
    return f"{int(value):,}"


def playlist_table(frame: pd.DataFrame) -> pd.DataFrame:
    """name, owner_name, status, depth, found_via, tracks, skipped of the crawl's playlists
    (`dashboard.reads.crawl_info.playlists`), every cell a value or what its absence means."""
    out = pd.DataFrame({
        "name": [n if isinstance(n, str) and n else f"(untitled) {sid}"
                 for n, sid in zip(frame["name"], frame["spotify_id"])],
        "owner_name": [o if isinstance(o, str) and o else DASH for o in frame["owner_name"]],
        "status": frame["status"].fillna(DASH).astype(str),
        "depth": frame["depth"].astype("Int64"),
        "found_via": [v if isinstance(v, str) and v else ("seed" if d == 0 else DASH)
                      for v, d in zip(frame["found_via"], frame["depth"])],
        "tracks": [_count_cell(v, s, r) for v, s, r in
                   zip(frame["tracks"], frame["status"], frame["reason"])],
        "skipped": [_count_cell(v, s, r) for v, s, r in
                    zip(frame["skipped"], frame["status"], frame["reason"])],
    })
    out["depth"] = out["depth"].fillna(0).astype(int)
    return out


def unreachable_table(frame: pd.DataFrame) -> pd.DataFrame:
    """name, owner_name, reason, depth, found_via, spotify_id of the unreachable playlists.
    The reason is its short head ("403 forbidden"), which fits its cell; `reason_notes`
    has the explanations, once per reason."""
    table = playlist_table(frame)
    return pd.DataFrame({
        "name": table["name"], "owner_name": table["owner_name"],
        "reason": [_reason_parts(r)[0] for r in frame["reason"]],
        "depth": table["depth"], "found_via": table["found_via"],
        "spotify_id": frame["spotify_id"].astype(str)})


def reason_notes(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(head, explanation) of each distinct reason among the unreachable playlists, in the
    order first met: what a table cell cannot show in full."""
    notes: dict[str, str] = {}
    for reason in frame["reason"]:
        head, why = _reason_parts(reason)
        if why and head not in notes:
            notes[head] = why
    return list(notes.items())
