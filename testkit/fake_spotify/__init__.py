"""A local fake of the 2026 Spotify Web API for tests and demos.

    from testkit.fake_spotify import FakeSpotify
    fake = FakeSpotify("data/sample")          # or a FakeCatalog
    base_url = fake.start()                     # http://127.0.0.1:PORT/v1/
    env = {**os.environ, **fake.env()}          # credentials it accepts
    args = fake.crawler_args()                  # --api-base ... --token-url ...
    seed = fake.catalog.seed_playlist().id      # a readable playlist
    ...
    fake.stop()

Or from a shell: `python -m testkit.fake_spotify --port 8765 --sample data/sample`.
"""
from testkit.fake_spotify.catalog import JUNK_KINDS, FakeCatalog, FakePlaylist, track_object
from testkit.fake_spotify.server import Fault, FakeSpotify, RequestRecord

__all__ = ["FakeCatalog", "FakePlaylist", "FakeSpotify", "Fault", "JUNK_KINDS", "RequestRecord",
           "track_object"]
