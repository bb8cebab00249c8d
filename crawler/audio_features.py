"""Audio features for crawled tracks: the API while it answers, else the chosen fallback.

`/audio-features` answers 403 for apps created after Nov 2024. The first 403 turns the
API source off for the rest of the crawl (one warning, no crash); features then come
from the CSV given as fallback, or stay missing (the model takes a missing-mask).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from crawler.client import ApiError, SpotifyClient
from crawler.config import FeatureSources
from data import crawl_state
from data.features_import import FeaturesFileError, import_features
from data.schema import AUDIO_FEATURES
from data.store import Catalog, TrackRecord

_BATCH = 100  # the endpoint's maximum ids per request


class FeatureFetcher:
    def __init__(self, client: SpotifyClient, sources: FeatureSources,
                 notify: Callable[[str], None], *, api_forbidden: bool = False):
        self.client = client
        self.sources = sources
        self.notify = notify
        self.api_forbidden = api_forbidden

    @property
    def api_on(self) -> bool:
        return self.sources.api and not self.api_forbidden

    def from_api(self, catalog: Catalog,
                 tracks: list[TrackRecord]) -> list[tuple[str, dict[str, float | None]]]:
        """Features for those of `tracks` the catalog has none for (empty once forbidden)."""
        if not self.api_on:
            return []
        have = crawl_state.uris_with_features(catalog, [t.uri for t in tracks])
        wanted = list(dict.fromkeys(t.uri for t in tracks if t.uri not in have))
        rows: list[tuple[str, dict[str, float | None]]] = []
        for i in range(0, len(wanted), _BATCH):
            ids = [uri.rsplit(":", 1)[1] for uri in wanted[i:i + _BATCH]]
            try:
                answer = self.client.audio_features(ids)
            except ApiError as exc:
                # 403 for apps created after Nov 2024; any other definite refusal is
                # treated alike: the crawl goes on without this source.
                self.api_forbidden = True
                fallback = (f"using {self.sources.csv} instead" if self.sources.csv
                            else "continuing without them (import a CSV later with "
                                 "`python -m data features PATH`)")
                self.notify(f"warning: audio features: the API answered {exc.status} "
                            f"(not available to this app); {fallback}")
                return rows
            for obj in answer if isinstance(answer, list) else ():
                if isinstance(obj, dict) and isinstance(obj.get("uri"), str):
                    rows.append((obj["uri"], {c: _number(obj.get(c)) for c in AUDIO_FEATURES}))
        return rows

    def outcome(self) -> str:
        if self.api_on:
            return "api"
        if self.sources.csv is not None:
            return "csv"
        return "forbidden" if self.sources.api else "none"

    def import_fallback_csv(self, catalog: Catalog) -> str | None:
        """Import the CSV fallback when the API is not the source; a one-line report."""
        if self.sources.csv is None or self.api_on:
            return None
        try:
            report = import_features(catalog, Path(self.sources.csv))
        except FeaturesFileError as exc:
            return f"warning: audio features CSV not imported: {exc}"
        return f"audio features from {self.sources.csv}: {report.summary()}"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
