"""Altair charts of the Listening page, pure functions of the frames in listening_frames."""
from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.frames.listening_frames import DAYS

GREEN = "#1DB954"
_HEIGHT = 260


def hours_per_month_chart(months: pd.DataFrame) -> alt.Chart:
    """Bars: hours played per month (columns of `hours_per_month`)."""
    return alt.Chart(months).mark_bar(color=GREEN).encode(
        x=alt.X("yearmonth(month):T", title="Month"),
        y=alt.Y("hours:Q", title="Hours played"),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="month"),
                 alt.Tooltip("hours:Q", format=",.1f"), alt.Tooltip("plays:Q", format=","),
                 alt.Tooltip("skip_rate:Q", title="skipped", format=".1%")],
    ).properties(height=_HEIGHT)


def top_chart(top: pd.DataFrame, label: str) -> alt.Chart:
    """Horizontal bars: hours per `label` ('track' or 'artist'), largest on top."""
    tooltip = [alt.Tooltip(f"{label}:N"), alt.Tooltip("hours:Q", format=",.1f"),
               alt.Tooltip("plays:Q", format=",")]
    if "artist" in top.columns and label != "artist":
        tooltip.insert(1, alt.Tooltip("artist:N"))
    return alt.Chart(top).mark_bar(color=GREEN).encode(
        x=alt.X("hours:Q", title="Hours played"),
        y=alt.Y(f"{label}:N", sort="-x", title=None,
                axis=alt.Axis(labelLimit=220, labelOverlap=False)),
        tooltip=tooltip,
    ).properties(height=max(120, 26 * len(top)))


def day_hour_chart(cells: pd.DataFrame) -> alt.Chart:
    """Heatmap: hours played per day of week (rows) and hour of day (columns), UTC."""
    return alt.Chart(cells).mark_rect().encode(
        x=alt.X("hour:O", title="Hour of day (UTC)"),
        y=alt.Y("day:O", sort=list(DAYS), title=None),
        color=alt.Color("hours:Q", title="Hours", scale=alt.Scale(scheme="greens")),
        tooltip=["day:N", "hour:O", alt.Tooltip("hours:Q", format=",.1f"),
                 alt.Tooltip("plays:Q", format=",")],
    ).properties(height=_HEIGHT)


def new_vs_repeat_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars per month: plays of tracks heard for the first time vs repeats."""
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("yearmonth(month):T", title="Month"),
        y=alt.Y("plays:Q", stack="normalize", title="Share of plays", axis=alt.Axis(format="%")),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(
            domain=["new track", "repeat"], range=[GREEN, "#B6BEC6"])),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "kind:N",
                 alt.Tooltip("plays:Q", format=",")],
    ).properties(height=_HEIGHT)


def overlap_chart(overlap: pd.DataFrame) -> alt.Chart:
    """Bars: share of the time played on tracks each other source also holds."""
    return alt.Chart(overlap).mark_bar(color="#4C78A8").encode(
        x=alt.X("share_of_time:Q", title="Share of time played", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("held_by:N", sort=None, title="Also in"),
        tooltip=["held_by:N", alt.Tooltip("share_of_time:Q", format=".1%"),
                 alt.Tooltip("plays:Q", format=","), alt.Tooltip("hours:Q", format=",.1f")],
    ).properties(height=160)
