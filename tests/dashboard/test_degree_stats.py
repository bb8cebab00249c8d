"""Degree summaries, log bins and the power-law fit on distributions with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard.frames import degree_stats


def test_summary_of_a_small_histogram() -> None:
    # Degrees 1, 1, 2, 3 (and zero-count / zero-degree entries that must be ignored).
    s = degree_stats.summarize({1: 2, 2: 1, 3: 1, 7: 0, 0: 5})
    assert (s.nodes, s.mean, s.median, s.max) == (4, 1.75, 1.5, 3)
    assert s.slope is None  # three distinct degrees fall in fewer than three log bins


def test_median_with_odd_count() -> None:
    assert degree_stats.summarize({1: 1, 5: 1, 9: 1}).median == 5.0


@pytest.mark.parametrize("alpha", [1.5, 2.0, 2.5])
def test_fitted_slope_recovers_the_exponent_of_a_power_law(alpha: float) -> None:
    degrees = np.arange(1, 5001)
    histogram = {int(k): int(round(1e9 * k ** -alpha)) for k in degrees}
    s = degree_stats.summarize(histogram)
    assert s.slope == pytest.approx(-alpha, abs=0.1)


def test_log_bins_keep_every_node_and_integrate_to_one() -> None:
    histogram = {1: 50, 2: 30, 3: 10, 10: 5, 11: 3, 150: 1, 1000: 1}
    bins = degree_stats.log_bins(histogram)
    assert bins["nodes"].sum() == sum(histogram.values())
    widths = bins["hi"] - bins["lo"] + 1
    assert float((bins["density"] * widths).sum()) == pytest.approx(1.0)
    # Bins are contiguous, increasing, and each covers the degrees it counts.
    assert (bins["lo"].to_numpy()[1:] > bins["hi"].to_numpy()[:-1]).all()
    for d, n in histogram.items():
        row = bins[(bins["lo"] <= d) & (bins["hi"] >= d)]
        assert len(row) == 1 and row["nodes"].iloc[0] >= n
    assert bins["degree"].between(bins["lo"], bins["hi"]).all()


def test_histogram_frame_shares_sum_to_one() -> None:
    df = degree_stats.histogram_frame({3: 1, 1: 3})
    assert df["degree"].tolist() == [1, 3]
    assert df["share"].tolist() == [0.75, 0.25]


def test_empty_histogram() -> None:
    s = degree_stats.summarize({})
    assert s.nodes == 0 and s.slope is None
    assert degree_stats.log_bins({}).empty
    assert degree_stats.fit_line(s, degree_stats.log_bins({})).empty


def test_fit_line_spans_the_binned_range() -> None:
    histogram = {int(k): int(1e6 * k ** -2.0) for k in range(1, 300)}
    s = degree_stats.summarize(histogram)
    bins = degree_stats.log_bins(histogram)
    line = degree_stats.fit_line(s, bins)
    assert line["degree"].tolist() == [bins["degree"].min(), bins["degree"].max()]
    assert line["density"].iloc[0] > line["density"].iloc[1]
