"""Helpers for AppTest page tests: start the app on a page and read what it shows."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP

TIMEOUT_S = 60


def open_page(page: str | None = None) -> AppTest:
    """Run the app, then switch to `page` (a file under dashboard/views/) and run it."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    if page:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(node) -> dict[str, str]:
    """{label: value} of the st.metric elements under `node` (the app or a block)."""
    return {m.label: m.value for m in node.metric}


def texts(at: AppTest) -> str:
    """Everything the page wrote as markdown, captions, alerts and titles, joined."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                 "error", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def frame_with(node, column: str):
    """The first st.dataframe under `node` that has `column`."""
    for element in node.dataframe:
        frame = element.value
        if column in frame.columns:
            return frame
    raise AssertionError(f"no dataframe with a {column!r} column")


def selectbox(at: AppTest, key_prefix: str):
    """The selectbox whose key starts with `key_prefix` (some keys carry a suffix)."""
    found = [s for s in at.selectbox if s.key and s.key.startswith(key_prefix)]
    assert len(found) == 1, [s.key for s in at.selectbox]
    return found[0]
