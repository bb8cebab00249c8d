"""The crawler's settings: one typed dataclass, stored with the crawl so `--resume` keeps it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from crawler.connection import DEFAULT_API_BASE, DEFAULT_TOKEN_URL, ENV_API_BASE, ENV_TOKEN_URL

# The 2026 Web API's page limits: a larger `limit` is answered with 400 "Invalid limit".
ITEMS_PAGE_MAX = 50  # GET /playlists/{id}/items
SEARCH_PAGE_MAX = 10  # GET /search
PAGE_MAXIMA = {"items_page_size": ITEMS_PAGE_MAX, "search_page_size": SEARCH_PAGE_MAX}

def _opt(default, help: str, *, shape: bool = False):
    # shape=True: fixed when a crawl starts (changing it would change what a resumed
    # crawl finds); the rest are limits and connection settings a resume may change.
    return field(default=default, metadata={"help": help, "shape": shape})


@dataclass
class CrawlConfig:
    max_playlists: int = _opt(100, "stop after visiting this many playlists")
    max_depth: int = _opt(2, "BFS depth limit (seeds are depth 0)")
    max_requests: int = _opt(5000, "stop after this many API requests (the whole crawl)")
    search_pages: int = _opt(1, "search result pages per artist", shape=True)
    audio_features: str = _opt(
        "api", "where audio features come from: api, csv:PATH, none, or a fallback "
               "chain such as api,csv:PATH", shape=True)
    api_base: str = _opt(DEFAULT_API_BASE, f"Spotify Web API base URL; without the flag "
                                           f"${ENV_API_BASE}, else that key in "
                                           ".streamlit/secrets.toml")
    token_url: str = _opt(DEFAULT_TOKEN_URL, f"OAuth token URL; without the flag "
                                             f"${ENV_TOKEN_URL}, else that key in "
                                             ".streamlit/secrets.toml")
    redirect_uri: str = _opt("http://127.0.0.1:8888/callback",
                             "redirect URI registered for the app (--user-auth)")
    items_page_size: int = _opt(ITEMS_PAGE_MAX, "playlist items per request (the API's maximum "
                                f"is {ITEMS_PAGE_MAX})", shape=True)
    search_page_size: int = _opt(SEARCH_PAGE_MAX, "search results per request (the API's "
                                 f"maximum is {SEARCH_PAGE_MAX})", shape=True)
    requests_per_window: int = _opt(
        90, "pace: at most this many requests per --window-s (halved on each 429)")
    window_s: float = _opt(30.0, "length of the pacing window in seconds")
    max_wait_s: float = _opt(
        60.0, "longest Retry-After to wait out; a longer one stops the crawl cleanly")
    max_retries: int = _opt(5, "retries of a request after 5xx answers or timeouts")
    backoff_s: float = _opt(1.0, "first retry delay in seconds (doubles, with jitter)")
    timeout_s: float = _opt(10.0, "HTTP timeout per request in seconds")
    user_auth: bool = _opt(False, "sign the user in (PKCE) so the crawl can read the items of "
                                  "their own playlists; without --seed-playlist it starts "
                                  "from all of them")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> "CrawlConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def validate(self) -> None:
        """Raise ValueError with a one-line message for settings that cannot work."""
        for name in ("max_playlists", "max_requests", "search_pages", "items_page_size",
                     "search_page_size", "requests_per_window"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        for name in ("max_depth", "max_retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must be 0 or more")
        for name in ("window_s", "timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be positive")
        for name, most in PAGE_MAXIMA.items():
            if getattr(self, name) > most:
                raise ValueError(f"--{name.replace('_', '-')} must be at most {most} (the "
                                 "API's maximum since 2026)")
        parse_feature_sources(self.audio_features)


def shape_fields() -> set[str]:
    return {f.name for f in fields(CrawlConfig) if f.metadata.get("shape")}


@dataclass(frozen=True)
class FeatureSources:
    """Audio-feature sources in the order tried: the API, then a CSV (either may be off)."""
    api: bool
    csv: Path | None


def parse_feature_sources(spec: str) -> FeatureSources:
    """'api' | 'none' | 'csv:PATH' | 'api,csv:PATH' → FeatureSources (ValueError otherwise)."""
    api, csv = False, None
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if parts == ["none"]:
        return FeatureSources(False, None)
    for part in parts:
        if part == "api" and not api:
            api = True
        elif part.startswith("csv:") and csv is None and len(part) > 4:
            csv = Path(part[4:]).expanduser()
        else:
            raise ValueError(f"--audio-features {spec!r} is not understood; use api, none, "
                             "csv:PATH or api,csv:PATH")
    if not parts:
        raise ValueError("--audio-features is empty; use api, none, csv:PATH or api,csv:PATH")
    return FeatureSources(api, csv)
