"""Taste model and synthetic catalog behind the sample-data generator (`data.sample`).

Nothing here comes from the real MPD: genres, word lists and numbers are invented,
tuned so that samples have the *shape* of the MPD (heavy-tailed track and artist
popularity, coherent playlists, catalog growth like the real one).

The catalog is an "infinite" one cut where items become too rare to be drawn by a
sample of the requested size: artists within a genre have Zipf–Mandelbrot
popularity, each artist has a discography whose tracks have Zipf popularity, and
an artist or track is only materialised when a sample of `n_playlists` playlists
would be expected to draw it at least a fraction of a time. So the catalog (and
the number of distinct tracks, artists and albums a sample shows) grows with the
sample like the real one does, without building 2M tracks for a small sample.

Names and URIs are derived lazily from (seed, kind, index) with a stateless hash,
so only what is written is ever built.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

# ----------------------------------------------------------------------------- genres
# name: playlist share as primary taste, secondary tastes, duration median (s),
# audio-feature centroid, title vocabulary (first entries are the common ones),
# description keyword, artist-name style.
# Centroid order: danceability, energy, loudness dB, speechiness, acousticness,
# instrumentalness, liveness, valence, tempo, P(major mode), P(3/4 time)

@dataclass(frozen=True)
class Genre:
    name: str
    share: float
    partners: tuple[str, ...]
    duration_s: float
    centroid: tuple[float, ...]
    titles: tuple[str, ...]
    keyword: str
    style: str  # artist/track naming style


GENRES: tuple[Genre, ...] = (
    Genre("country", 0.095, ("oldies", "rock", "worship", "pop"), 205,
          (0.58, 0.70, -6.0, 0.038, 0.22, 0.002, 0.18, 0.58, 121, 0.88, 0.06),
          ("Country", "country", "COUNTRY", "country music", "Country Music", "old country",
           "Country 🤠", "country jams", "Country Hits", "backroads", "truck songs",
           "Country Mix", "country vibes", "🤠", "Country Roads", "country love"),
          "country", "band"),
    Genre("chill", 0.080, ("indie", "rnb", "sleep", "pop"), 215,
          (0.60, 0.42, -9.5, 0.055, 0.48, 0.12, 0.13, 0.38, 108, 0.60, 0.05),
          ("chill", "Chill", "chill vibes", "Chill Vibes", "relax", "chillin", "Chill 🌙",
           "mellow", "chill songs", "calm", "Chillax", "coffee shop", "lazy sunday", "chill mix",
           "vibes", "feels"),
          "chill", "solo"),
    Genre("rap", 0.100, ("party", "rnb", "workout", "throwback"), 212,
          (0.78, 0.63, -6.0, 0.24, 0.12, 0.002, 0.17, 0.45, 132, 0.55, 0.02),
          ("Rap", "rap", "RAP", "Rap 🔥", "hip hop", "Hip Hop", "lit", "LIT 🔥", "bangers",
           "Rap/Hip Hop", "turnt", "trap", "Trap", "rap mix", "jams", "fire"),
          "rap", "rap"),
    Genre("workout", 0.060, ("rap", "edm", "rock", "party"), 210,
          (0.70, 0.84, -4.5, 0.10, 0.05, 0.02, 0.20, 0.52, 126, 0.55, 0.02),
          ("workout", "Workout", "WORKOUT", "Gym", "gym", "running", "Running", "run",
           "lifting", "Workout 💪", "cardio", "pump up", "Gym Playlist", "beast mode", "💪"),
          "workout", "dj"),
    Genre("rock", 0.065, ("metal", "indie", "oldies", "country"), 238,
          (0.48, 0.79, -5.5, 0.05, 0.08, 0.04, 0.21, 0.48, 128, 0.68, 0.05),
          ("Rock", "rock", "Classic Rock", "classic rock", "alt rock", "Alternative",
           "rock n roll", "Rock 🤘", "Garage Rock", "punk", "grunge", "90s rock"),
          "rock", "band"),
    Genre("christmas", 0.040, ("oldies", "worship", "disney", "jazz"), 185,
          (0.55, 0.40, -9.0, 0.04, 0.56, 0.01, 0.22, 0.62, 112, 0.82, 0.15),
          ("Christmas", "christmas", "Christmas Music", "christmas music", "Christmas 🎄",
           "xmas", "Xmas", "Christmas Songs", "holiday", "Holiday Music", "🎄",
           "christmas playlist"),
          "christmas", "solo"),
    Genre("worship", 0.045, ("country", "chill", "christmas", "pop"), 270,
          (0.45, 0.55, -7.0, 0.035, 0.28, 0.003, 0.25, 0.30, 125, 0.82, 0.10),
          ("Worship", "worship", "Worship Music", "Jesus", "Christian", "christian", "Gospel",
           "praise", "Praise & Worship", "Church", "God", "worship 🙏"),
          "worship", "worship"),
    Genre("party", 0.055, ("rap", "pop", "edm", "latin"), 205,
          (0.74, 0.79, -4.8, 0.09, 0.08, 0.005, 0.18, 0.63, 122, 0.55, 0.02),
          ("Party", "party", "Party 🎉", "PARTY", "party playlist", "Party Mix", "pregame",
           "Pregame", "turn up", "dance", "Dance Party", "Party Time", "🎉"),
          "party", "dj"),
    Genre("oldies", 0.050, ("rock", "country", "throwback", "christmas"), 180,
          (0.58, 0.55, -9.5, 0.04, 0.38, 0.01, 0.20, 0.72, 120, 0.78, 0.08),
          ("oldies", "Oldies", "Oldies but Goodies", "70s", "80s", "60s", "Classics",
           "oldies 📻", "motown", "Motown", "Golden Oldies", "Dad's music", "old school"),
          "oldies", "band"),
    Genre("disney", 0.025, ("christmas", "pop", "throwback", "classical"), 195,
          (0.52, 0.45, -8.5, 0.05, 0.45, 0.002, 0.20, 0.50, 115, 0.82, 0.12),
          ("Disney", "disney", "Disney Songs", "disney 🏰", "Disney Music", "Musicals",
           "Broadway", "musicals", "Disney Jams", "disney classics", "Kids", "Kids Songs"),
          "disney", "solo"),
    Genre("sleep", 0.025, ("classical", "chill", "jazz", "indie"), 240,
          (0.30, 0.10, -22.0, 0.04, 0.92, 0.85, 0.10, 0.12, 84, 0.62, 0.20),
          ("sleep", "Sleep", "sleepy", "Sleep 💤", "sleep time", "bedtime", "Sleeping", "calm",
           "piano", "rain", "study", "Study", "focus", "relaxing"),
          "sleep", "ambient"),
    Genre("edm", 0.050, ("party", "workout", "pop", "chill"), 225,
          (0.65, 0.86, -4.5, 0.07, 0.04, 0.32, 0.22, 0.40, 126, 0.50, 0.01),
          ("EDM", "edm", "electronic", "House", "house", "EDM 🔊", "dubstep", "Trance",
           "techno", "Electro", "festival", "drops", "bass"),
          "edm", "dj"),
    Genre("indie", 0.060, ("chill", "rock", "pop", "sleep"), 230,
          (0.52, 0.57, -7.5, 0.04, 0.32, 0.13, 0.14, 0.42, 120, 0.66, 0.06),
          ("indie", "Indie", "indie rock", "Indie Folk", "alternative", "indie vibes", "folk",
           "Acoustic", "acoustic", "indie 🌿", "feels", "sad", "Sad Songs", "mood"),
          "indie", "band"),
    Genre("latin", 0.030, ("party", "pop", "rap", "edm"), 215,
          (0.76, 0.76, -4.8, 0.08, 0.18, 0.002, 0.15, 0.73, 110, 0.55, 0.02),
          ("Latin", "latin", "Reggaeton", "reggaeton", "Spanish", "spanish", "Latino",
           "latin 💃", "salsa", "bachata", "Musica", "latino vibes"),
          "latin", "latin"),
    Genre("rnb", 0.055, ("rap", "chill", "pop", "throwback"), 220,
          (0.68, 0.52, -7.0, 0.10, 0.22, 0.005, 0.14, 0.42, 104, 0.50, 0.04),
          ("R&B", "r&b", "RnB", "rnb", "R&B 💜", "slow jams", "Slow Jams", "soul", "Soul",
           "smooth", "vibes", "Vibes", "feels", "late night"),
          "r&b", "solo"),
    Genre("pop", 0.085, ("party", "throwback", "rnb", "chill"), 208,
          (0.66, 0.68, -5.5, 0.06, 0.16, 0.001, 0.15, 0.53, 118, 0.66, 0.03),
          ("Pop", "pop", "POP", "New", "new", "Hits", "Top Hits", "music", "Music", "summer",
           "Summer", "favorites", "Favorites", "my songs", "good songs", "jams", "Jams", "car",
           "road trip", "Road Trip", "new music"),
          "pop", "solo"),
    Genre("jazz", 0.020, ("chill", "oldies", "classical", "christmas"), 290,
          (0.55, 0.30, -12.0, 0.05, 0.80, 0.42, 0.15, 0.46, 108, 0.60, 0.12),
          ("Jazz", "jazz", "Smooth Jazz", "smooth jazz", "jazz 🎷", "Jazz Classics", "blues",
           "Blues", "Swing", "coffee", "dinner", "Jazzy"),
          "jazz", "jazz"),
    Genre("classical", 0.015, ("sleep", "jazz", "disney", "chill"), 330,
          (0.30, 0.13, -21.0, 0.045, 0.95, 0.88, 0.12, 0.20, 96, 0.66, 0.22),
          ("Classical", "classical", "Classical Music", "piano", "Piano", "Study Music",
           "study", "Orchestra", "classical 🎻", "focus", "instrumental", "homework"),
          "classical", "classical"),
    Genre("metal", 0.025, ("rock", "workout", "indie", "edm"), 265,
          (0.40, 0.95, -4.0, 0.09, 0.003, 0.16, 0.23, 0.30, 136, 0.50, 0.04),
          ("Metal", "metal", "Heavy Metal", "metalcore", "Metalcore", "Screamo", "hardcore",
           "METAL 🤘", "emo", "Emo", "Pop Punk", "pop punk"),
          "metal", "band"),
    Genre("throwback", 0.050, ("pop", "rap", "rnb", "oldies"), 222,
          (0.70, 0.72, -6.0, 0.07, 0.12, 0.005, 0.18, 0.65, 118, 0.60, 0.03),
          ("Throwbacks", "throwbacks", "Throwback", "throwback", "tb", "TBT", "2000s",
           "throwback jams", "Throwbacks 🙌", "90s", "90's", "old school", "Nostalgia",
           "throwback thursday"),
          "throwback", "solo"),
)
GENRE_INDEX = {g.name: i for i, g in enumerate(GENRES)}
N_GENRES = len(GENRES)

# ----------------------------------------------------------------------------- tuning
# Calibrated so that samples have the MPD's shape; the numbers a sample shows are in
# data/sample.py's docstring and checked by tests/data/test_sample.py.
LENGTH_LOGNORMAL = (52.5, 1.01)  # median, sigma of playlist length, truncated to [5, 250]
LENGTH_RANGE = (5, 250)
MEAN_LENGTH = 66.35          # the mean length that lognormal truncated to 5..250 gives
SECOND_GENRE_P = 0.45        # share of playlists mixing in a second taste
PRIMARY_WEIGHT = (0.55, 0.9)  # uniform range of the primary taste's share when mixed
HIT_SHARE = (1.2, 19.0)      # Beta(a, b): per-playlist share of globally popular tracks
ARTIST_DRAWS = 0.64          # distinct-artist draws per genre slot (mean; long lists: fewer)
ARTIST_DRAWS_SLOPE = -0.15   # ... times (length / 40) ** slope
REPEAT_SKEW = 2.0            # >1: repeated-artist slots favour the playlist's first artists
ARTIST_ALPHA = 1.80          # Zipf–Mandelbrot exponent of artist popularity in a genre
ARTIST_Q = 24.0              # ... and its offset (flattens the head)
TRACK_S = 1.5                # Zipf–Mandelbrot exponent of track popularity within an artist
TRACK_Q = 2                  # ... and its (integer) offset
DISCOGRAPHY = (16.0, 0.9)    # lognormal median/sigma of an artist's number of tracks
DISCOGRAPHY_BOOST = 30.0     # popular artists have up to ~this many times more
DISCOGRAPHY_MAX = 800
ALBUM_SIZE = 5.0             # mean catalog tracks per album
LEAD_ALBUM = (0.9, 15.0)     # P(track of rank j is on the artist's lead album) = a*exp(-j/b)
TAU_ARTIST = 0.25            # materialise an artist expected to be drawn >= tau times
TAU_TRACK = 0.05             # ... a track expected to be drawn >= tau times
MIN_ARTISTS_PER_GENRE = 40
MIN_SCALE = 200              # tiny samples draw from a catalog sized for this many playlists
HIT_COUNT = 400              # size of the global hits pool
HIT_FLATTEN = 0.55           # hits pool weight = marginal popularity ** HIT_FLATTEN

_M64 = (1 << 64) - 1


def mix64(x: int) -> int:
    """splitmix64 finaliser: a stateless, platform-independent integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def genre_slot_shares() -> np.ndarray:
    """Expected share of genre (non-hit) slots that go to each genre."""
    share = np.array([g.share for g in GENRES])
    share = share / share.sum()
    w1 = (PRIMARY_WEIGHT[0] + PRIMARY_WEIGHT[1]) / 2
    out = share * ((1 - SECOND_GENRE_P) + SECOND_GENRE_P * w1)
    aff = partner_matrix()
    out += SECOND_GENRE_P * (1 - w1) * (share @ aff)
    return out / out.sum()


def partner_matrix() -> np.ndarray:
    """Row g: probability of each secondary taste given primary taste g."""
    aff = np.zeros((N_GENRES, N_GENRES))
    for i, g in enumerate(GENRES):
        for rank, name in enumerate(g.partners):
            aff[i, GENRE_INDEX[name]] = 1.0 / (rank + 1.5)
    return aff / aff.sum(axis=1, keepdims=True)


class SyntheticCatalog:
    """Artists (grouped by genre), albums and tracks (grouped by artist), as arrays.

    artist ids are 0..n_artists-1, genre blocks contiguous; track ids are contiguous
    per artist and in decreasing popularity within an artist; album ids are global.
    """

    def __init__(self, n_playlists: int, seed: int):
        self.seed = int(seed)
        rng = np.random.default_rng([self.seed, 0x5A3C1E])
        self.slot_shares = genre_slot_shares()
        hit_share = HIT_SHARE[0] / (HIT_SHARE[0] + HIT_SHARE[1])
        draws = max(n_playlists, MIN_SCALE) * MEAN_LENGTH * (1 - hit_share) * ARTIST_DRAWS
        genre_draws = draws * self.slot_shares

        # artists: Zipf–Mandelbrot in each genre, cut where expected draws < tau
        z_inf = (ARTIST_Q - 0.5) ** (1 - ARTIST_ALPHA) / (ARTIST_ALPHA - 1)
        sizes = np.floor((genre_draws / (TAU_ARTIST * z_inf)) ** (1 / ARTIST_ALPHA) - ARTIST_Q)
        sizes = np.maximum(sizes, MIN_ARTISTS_PER_GENRE).astype(np.int64)
        self.genre_start = np.concatenate([[0], np.cumsum(sizes)])
        n_art = int(self.genre_start[-1])
        self.n_artists = n_art
        self.artist_genre = np.repeat(np.arange(N_GENRES), sizes).astype(np.int64)
        rank = np.arange(n_art) - self.genre_start[self.artist_genre]
        w = (rank + ARTIST_Q) ** -ARTIST_ALPHA
        norm = np.bincount(self.artist_genre, weights=w)
        self.artist_p = w / norm[self.artist_genre]           # p(artist | genre)
        cdf = _segment_cdf(self.artist_p, self.genre_start)
        self.artist_key = self.artist_genre + cdf              # genre + cdf, for searchsorted

        # discographies: bigger for popular artists; materialise the likely-drawn head
        rel = self.artist_p / self.artist_p[self.genre_start[self.artist_genre]]
        disc = np.exp(rng.normal(np.log(DISCOGRAPHY[0]), DISCOGRAPHY[1], n_art))
        disc = np.clip(np.round(disc * (1 + DISCOGRAPHY_BOOST * rel ** 0.6)), 1,
                       DISCOGRAPHY_MAX).astype(np.int64)
        # sum_{j<disc} (j + q)^-s
        harmonic = _harmonic(disc + TRACK_Q - 1, TRACK_S) - _harmonic(
            np.full_like(disc, TRACK_Q - 1), TRACK_S)
        slots = genre_draws[self.artist_genre] * self.artist_p / ARTIST_DRAWS
        jmax = (slots / (TAU_TRACK * harmonic)) ** (1 / TRACK_S) - (TRACK_Q - 1)
        n_tr = np.clip(np.floor(jmax), 1, disc).astype(np.int64)
        self.artist_track_start = np.concatenate([[0], np.cumsum(n_tr)])
        n_tracks = int(self.artist_track_start[-1])
        self.n_tracks = n_tracks
        self.track_artist = np.repeat(np.arange(n_art, dtype=np.int32), n_tr)
        j = (np.arange(n_tracks) - self.artist_track_start[self.track_artist]).astype(np.int32)
        tw = (j + float(TRACK_Q)) ** -TRACK_S
        tnorm = np.bincount(self.track_artist, weights=tw, minlength=n_art)
        self.track_p = tw / tnorm[self.track_artist]           # p(track | artist)
        del tw
        self.track_key = _segment_cdf(self.track_p, self.artist_track_start)
        self.track_key += self.track_artist                     # artist + cdf, for searchsorted

        # albums: each artist has max(1, disc / ALBUM_SIZE) albums; tracks spread over them
        n_alb = np.maximum(1, np.round(disc / ALBUM_SIZE)).astype(np.int64)
        self.artist_album_start = np.concatenate([[0], np.cumsum(n_alb)])
        self.n_albums_catalog = int(self.artist_album_start[-1])
        na = n_alb[self.track_artist]
        local = np.minimum((rng.random(n_tracks) * na).astype(np.int64), na - 1)
        del na
        lead = rng.random(n_tracks) < LEAD_ALBUM[0] * np.exp(-j / LEAD_ALBUM[1])
        local[lead | (j == 0)] = 0
        del lead
        local += self.artist_album_start[self.track_artist]
        self.track_album = local.astype(np.int32)
        del local
        self.album_size = np.bincount(self.track_album, minlength=self.n_albums_catalog)
        first = np.full(self.n_albums_catalog, -1, dtype=np.int64)
        first[self.track_album[::-1]] = np.arange(n_tracks)[::-1]
        self.album_first_track = first
        self.album_artist = np.repeat(np.arange(n_art, dtype=np.int32), n_alb)

        # durations by genre
        gen = self.artist_genre[self.track_artist]
        dur = np.exp(rng.normal(0, 0.22, n_tracks))
        dur *= np.array([g.duration_s for g in GENRES])[gen] * 1000.0
        self.track_duration = np.clip(np.round(dur), 60_000, 720_000).astype(np.int32)
        del dur

        # globally popular tracks (the "hits" every kind of playlist picks up)
        marginal = self.slot_shares[gen] * self.artist_p[self.track_artist] * self.track_p
        k = min(HIT_COUNT, n_tracks)
        top = np.argpartition(-marginal, k - 1)[:k] if k < n_tracks else np.arange(n_tracks)
        top = top[np.lexsort((top, -marginal[top]))]
        hw = marginal[top] ** HIT_FLATTEN
        self.hit_tracks = top
        self.hit_cdf = np.cumsum(hw / hw.sum())
        self.hit_cdf[-1] = 1.0

    # -- sampling helpers (vectorised)
    def sample_artists(self, genres: np.ndarray, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.artist_key, genres + u, side="right")
        return np.clip(idx, self.genre_start[genres], self.genre_start[genres + 1] - 1)

    def sample_tracks(self, artists: np.ndarray, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.track_key, artists + u, side="right")
        return np.clip(idx, self.artist_track_start[artists],
                       self.artist_track_start[artists + 1] - 1)

    def sample_hits(self, u: np.ndarray) -> np.ndarray:
        return self.hit_tracks[np.minimum(np.searchsorted(self.hit_cdf, u, side="right"),
                                          len(self.hit_tracks) - 1)]


def _segment_cdf(p: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each segment; each segment's last value is exactly 1."""
    c = np.cumsum(p)
    seg = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    before = np.concatenate([[0.0], c])[starts[:-1]]
    out = c - before[seg]
    out[starts[1:] - 1] = 1.0
    return np.minimum(out, 1.0)


def _harmonic(n: np.ndarray, s: float) -> np.ndarray:
    """sum_{j=1..n} j^-s for an array of n (exact up to 64, Euler–Maclaurin beyond)."""
    table = np.concatenate([[0.0], np.cumsum(np.arange(1, 65, dtype=float) ** -s)])
    small = table[np.minimum(n, 64)]
    big = n > 64
    if big.any():
        m = n[big].astype(float)
        if abs(1 - s) < 1e-9:
            integral = np.log(m / 64.0)
        else:
            integral = (m ** (1 - s) - 64.0 ** (1 - s)) / (1 - s)
        tail = integral + 0.5 * (m ** -s - 64.0 ** -s)
        small = small.copy()
        small[big] = table[64] + tail
    return small


# ----------------------------------------------------------------------------- words
ADJ = ("Golden", "Broken", "Electric", "Silent", "Wild", "Midnight", "Neon", "Lonely", "Sweet",
       "Bitter", "Velvet", "Crimson", "Hollow", "Bright", "Dark", "Faded", "Lost", "Young",
       "Restless", "Lucky", "Crazy", "Endless", "Frozen", "Burning", "Gentle", "Heavy", "Little",
       "Secret", "Silver", "Blue", "Red", "Green", "Paper", "Sugar", "Honey", "Cosmic", "Quiet",
       "Lazy", "Easy", "Simple", "Perfect", "Strange", "Magic", "Sacred", "Holy", "Dusty", "Rusty",
       "Rolling", "Falling", "Rising", "Shining", "Dancing", "Lonesome", "Summer", "Winter",
       "Northern", "Southern", "Western", "Ocean", "Desert", "Mountain", "Heavenly", "Savage",
       "Royal", "Glass", "Crystal", "Fading", "Happy", "Sad", "Pretty", "Tender", "Cold", "Warm",
       "Slow", "Fast", "Loud", "Soft", "Last", "First", "Only", "New", "Old", "Better", "Bad")
NOUN = ("Heart", "Love", "Night", "Fire", "Rain", "Dream", "Road", "River", "Sky", "Star", "Moon",
        "Sun", "Light", "Shadow", "Ghost", "Angel", "Highway", "Town", "Home", "Summer", "Morning",
        "Kiss", "Wave", "Storm", "Thunder", "Garden", "Rose", "Diamond", "Gold", "Money", "Party",
        "Dance", "Song", "Melody", "Whiskey", "Truck", "Boots", "Girl", "Boy", "Baby", "Friend",
        "Lover", "Stranger", "Soul", "Mind", "Eyes", "Hands", "Lights", "Streets", "Waves", "Bones",
        "Wings", "Flames", "Tears", "Stars", "Roses", "Dreams", "Memories", "Secrets", "Promises",
        "Lies", "Games", "Kings", "Queens", "Wolves", "Lions", "Birds", "Horses", "Hearts", "Skies",
        "Cities", "Rivers", "Echo", "Silence", "Mirror", "Window", "Paradise", "Heaven", "Freedom",
        "Glory", "Grace", "Hope", "Faith", "Fever", "Magic", "Candy", "Cherry", "Satellite",
        "Rocket", "Machine", "Radio", "Telephone", "Vibe", "Feeling", "Weekend", "Tonight", "Time")
PLURAL = ("Lights", "Streets", "Waves", "Bones", "Wings", "Flames", "Stars", "Roses", "Dreams",
          "Secrets", "Kings", "Queens", "Wolves", "Lions", "Birds", "Horses", "Hearts", "Skies",
          "Rivers", "Mountains", "Strangers", "Lovers", "Ghosts", "Angels", "Machines", "Giants",
          "Foxes", "Tigers", "Sparrows", "Pilots", "Brothers", "Sisters", "Boys", "Kids", "Saints")
PHRASE = ("Hold On", "Let Go", "Take Me Home", "Come Back", "Stay", "Run Away", "Fall Apart",
          "Wake Up", "Don't Stop", "Say Yes", "Light It Up", "Turn It Up", "Break Free",
          "Keep Going", "Ride", "Shine", "Move", "Breathe", "Believe", "Dance With Me",
          "Talk To Me",
          "Call Me", "Love Me", "Miss You", "Need You", "Want You", "Feel It", "Do It Again",
          "Get Away", "Slow Down", "Never Let Go", "Hold Me", "Drive", "Fly", "Runaway",
          "Let Me In")
TAIL = ("Tonight", "Forever", "Again", "Tomorrow", "All Night", "In The Dark", "On Fire",
        "With You", "For You", "Like That", "Right Now", "Baby", "Slowly", "Back Home", "Alone")
FIRST = ("James", "Emma", "Noah", "Olivia", "Liam", "Ava", "Mason", "Mia", "Lucas", "Chloe",
         "Ethan", "Grace", "Jack", "Lily", "Owen", "Ruby", "Caleb", "Hazel", "Eli", "Nora", "Jade",
         "Cole", "Tyler", "Maddie", "Sam", "Kevin", "Sarah", "Abby", "Jordan", "Riley", "Dylan",
         "Hannah", "Austin", "Kayla", "Luke", "Megan", "Blake", "Tessa", "Wyatt", "Ivy", "Marcus",
         "Andre", "Darius", "Nia", "Jasmine", "Isaiah", "Zoe", "Miles", "Leah", "Frank")
LAST = ("Miller", "Hayes", "Brooks", "Carter", "Parker", "Reed", "Collins", "Bennett", "Gray",
        "Hart", "Stone", "Wells", "Fox", "Lane", "Rivers", "Knight", "Cole", "Shaw", "Banks",
        "Ward",
        "Price", "Dean", "Holt", "Quinn", "Walsh", "Young", "King", "Wood", "Lowe", "Fisher",
        "Boone", "Tate", "Moss", "Vance", "Blair", "Monroe", "Sutton", "Pierce", "Keller", "Nash")
RAP = ("Savage", "Ghost", "Smoke", "Drip", "Ice", "Blaze", "Kid", "Nova", "Zay", "Tay", "Cash",
       "Dolla", "Slim", "Wavy", "Lucci", "Jay", "Reek", "Trey", "Stack", "Skrilla", "Juice",
       "Chief", "Boogie", "Flex", "Poppa", "Tino", "Vee", "Yung", "Bando", "Nitro")
SYLLABLE = ("ka", "lo", "mi", "ra", "ze", "no", "vi", "sa", "tu", "re", "xo", "la", "den",
            "mar", "kin", "zor", "lix", "ven", "tor", "bel", "sun", "dra", "ko", "ny")
LATIN_FIRST = ("Luis", "Carlos", "María", "José", "Ana", "Diego", "Sofía", "Mateo", "Lucía",
               "Javier", "Camila", "Daddy", "Nicky", "Sebastián", "Valentina", "Ozzy", "Rafa")
LATIN_LAST = ("García", "Martínez", "López", "Hernández", "Rivera", "Ortiz", "Ramos", "Vega",
              "Cruz", "Flores", "Montero", "Salazar", "Fuentes", "Del Río", "Luna")
LATIN_WORDS = ("Corazón", "Fuego", "Noche", "Baila", "Mi Amor", "Te Quiero", "Bonita", "Vida",
               "Loco", "Despacio", "Calor", "Sueño", "Playa", "Luna", "Cielo", "Mami")
CHRISTMAS = ("Christmas", "Snow", "Santa", "Mistletoe", "Sleigh", "Holiday", "Jingle", "December",
             "Winter", "Reindeer", "Candle", "Carol", "Silent Night", "Noel", "Jolly")
WORSHIP = ("Grace", "Glory", "Holy", "Praise", "Hallelujah", "Mercy", "Faithful", "King",
           "Saviour", "Spirit", "Cross", "Light", "Redeemed", "Alive", "Forever")
FORMS = ("Sonata", "Symphony", "Concerto", "Nocturne", "Prelude", "Étude", "Suite", "Waltz",
         "Fugue", "Impromptu", "Serenade", "Partita")
TEMPI = ("Allegro", "Adagio", "Andante", "Largo", "Presto", "Moderato", "Allegretto", "Vivace",
         "Lento", "Scherzo")
KEYS = ("C", "D", "E", "F", "G", "A", "B", "E-Flat", "B-Flat", "F-Sharp", "A-Flat")
PLACES = ("Hillsong", "Bethel", "Elevation", "Vertical", "New Life", "River Valley", "Cornerstone",
          "Chicago", "Vienna", "London", "Berlin", "Nashville", "Memphis", "Detroit", "Austin")
ROMAN = ("I", "II", "III", "IV")
SUFFIX = (" - Remix", " - Live", " - Acoustic", " - Radio Edit", " - Remastered")
EMOJI = ("🔥", "🎉", "💯", "✨", "😎", "🌴", "💕", "🎶", "☀️", "🌙", "💜", "👌")
GENERIC_TITLES = ("music", "Music", "new", "New Songs", "Favorites", "favorites", "my playlist",
                  "Good Vibes", "Mix", "songs", "Songs", "jams", "Jams", "mood", "feels", "vibes",
                  "Vibes", "Playlist", "good stuff", "random", "Random", "stuff", "yes", "me",
                  "Awesome Playlist", "Car", "car", "Road Trip", "Summer", "summer", "lit",
                  "✨", "🔥", "💯", "Mixtape", "mixtape", "Hits", "Best", "Current", "on repeat")
SEASONS = ("Summer", "summer", "Fall", "fall", "Winter", "winter", "Spring", "spring", "SUMMER")
DESCRIPTIONS = ("songs for {k} lovers", "my favorite {k} songs", "{k} vibes only",
                "the best {k} music", "all the {k} you need", "{k} for days",
                "a little bit of {k}", "just {k} ✌️", "{k} 🎶", "good {k} for good times",
                "{k} songs i can't stop listening to", "updated weekly: {k}")

_B62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                     dtype=np.uint8)
_KIND_TRACK, _KIND_ARTIST, _KIND_ALBUM = 1, 2, 3
_PERM_POS = (3, 7, 11, 15, 19)  # these id characters spell a bijection of the index
_PERM_MOD = 62 ** len(_PERM_POS)


def mix64_array(x: np.ndarray) -> np.ndarray:
    """mix64 on a uint64 array (wrapping arithmetic)."""
    x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class Names:
    """Deterministic names and Spotify-style ids for catalog entities, built on demand
    and in batches (one vectorised hash per entity; compiled name templates).

    An id is 22 base62 characters like Spotify's (first character 0-7, as a 128-bit
    number gives); five of them encode a bijection of the entity index, so two
    entities of a kind never share an id; the rest come from a hash of (seed, index).
    """

    def __init__(self, catalog: SyntheticCatalog):
        self.cat = catalog
        self._salt = mix64(catalog.seed ^ 0x6E616D6573)
        self._artist: dict[int, str] = {}
        self._album: dict[int, str] = {}
        self._ids: dict[int, dict[int, str]] = {_KIND_ARTIST: {}, _KIND_ALBUM: {}}
        self._genre_lo = catalog.genre_start[:-1].tolist()
        self._genre_size = np.diff(catalog.genre_start).tolist()

    def _hash(self, kind: int, idx: int, k: int = 0) -> int:
        return mix64(self._salt ^ (kind << 56) ^ (k << 48) ^ idx)

    def _hashes(self, kind: int, idx: np.ndarray) -> list[int]:
        base = np.uint64(self._salt ^ (kind << 56) ^ (3 << 48))
        return mix64_array(np.asarray(idx).astype(np.uint64) ^ base).tolist()

    # -- ids
    def make_ids(self, kind: int, idx: np.ndarray) -> list[str]:
        """Ids (22 base62 characters) for entity indices `idx` (vectorised)."""
        idx = np.asarray(idx, dtype=np.int64)
        if idx.size == 0:
            return []
        base = np.uint64(self._hash(kind, 0, 9))
        h1 = mix64_array(idx.astype(np.uint64) ^ base)
        h2 = mix64_array(h1 ^ np.uint64(0xD1B54A32D192ED03))
        mult = (self._hash(kind, 0, 7) % _PERM_MOD) | 1
        while mult % 31 == 0:
            mult += 2
        perm = (idx % _PERM_MOD * mult + self._hash(kind, 0, 8) % _PERM_MOD) % _PERM_MOD
        digits = np.empty((idx.size, 22), dtype=np.int64)
        digits[:, 0] = (h1 % np.uint64(8)).astype(np.int64)
        h1 = h1 // np.uint64(8)
        free = [i for i in range(1, 22) if i not in _PERM_POS]
        for i, pos in enumerate(free):  # 16 characters: 10 from h1, 6 from h2
            if i < 10:
                digits[:, pos] = (h1 % np.uint64(62)).astype(np.int64)
                h1 = h1 // np.uint64(62)
            else:
                digits[:, pos] = (h2 % np.uint64(62)).astype(np.int64)
                h2 = h2 // np.uint64(62)
        for pos in _PERM_POS:
            digits[:, pos] = perm % 62
            perm = perm // 62
        return _B62[digits].view("S22").ravel().astype(str).tolist()

    def prepare(self, tracks: np.ndarray) -> None:
        """Build, in batches, the ids and names of the artists and albums of `tracks`."""
        cat = self.cat
        for kind, ents in ((_KIND_ARTIST, cat.track_artist[tracks]),
                           (_KIND_ALBUM, cat.track_album[tracks])):
            cache = self._ids[kind]
            new = np.array([e for e in np.unique(ents).tolist() if e not in cache],
                           dtype=np.int64)
            cache.update(zip(new.tolist(), self.make_ids(kind, new)))
            if kind == _KIND_ARTIST:
                self.artist_names(new)
            else:
                self.album_names(new)

    def artist_uri(self, a: int) -> str:
        return "spotify:artist:" + self._cached_id(_KIND_ARTIST, a)

    def album_uri(self, b: int) -> str:
        return "spotify:album:" + self._cached_id(_KIND_ALBUM, b)

    def _cached_id(self, kind: int, idx: int) -> str:
        got = self._ids[kind].get(idx)
        if got is None:
            got = self._ids[kind][idx] = self.make_ids(kind, np.array([idx]))[0]
        return got

    # -- names
    def artist_name(self, a: int) -> str:
        name = self._artist.get(a)
        return name if name is not None else self.artist_names(np.array([a]))[0]

    def album_name(self, b: int) -> str:
        name = self._album.get(b)
        return name if name is not None else self.album_names(np.array([b]))[0]

    def artist_names(self, artists: np.ndarray) -> list[str]:
        cat, cache, out = self.cat, self._artist, []
        styles = [_STYLE_INDEX[GENRES[g].style] for g in range(N_GENRES)]
        for a, g, h in zip(artists.tolist(), cat.artist_genre[artists].tolist(),
                           self._hashes(_KIND_ARTIST, artists)):
            fns = _ARTIST_FN[styles[g]]
            name = cache[a] = fns[(h >> 1) % len(fns)](h)
            out.append(name)
        return out

    def track_names(self, tracks: np.ndarray) -> list[str]:
        cat, out = self.cat, []
        arts = cat.track_artist[tracks]
        for t, a, g, h in zip(tracks.tolist(), arts.tolist(), cat.artist_genre[arts].tolist(),
                              self._hashes(_KIND_TRACK, tracks)):
            fns = _TRACK_FN[g]
            name = fns[(h >> 1) % len(fns)](h)
            extra = (h >> 57) % 100
            if extra < 9 and _FEATURING[g]:
                # featuring another (popular) artist of the same taste
                other = self._genre_lo[g] + (h >> 20) % min(self._genre_size[g], 200)
                if other != a:
                    name = f"{name} (feat. {self.artist_name(other)})"
            elif extra < 14 and _SUFFIXED[g]:
                name += SUFFIX[(h >> 50) % len(SUFFIX)]
            out.append(name)
        return out

    def album_names(self, albums: np.ndarray) -> list[str]:
        cat, cache = self.cat, self._album
        arts = cat.album_artist[albums]
        first = cat.album_first_track[albums]
        single = (cat.album_size[albums] <= 1) & (first >= 0)  # named after its one track
        single_names = iter(self.track_names(first[single]))
        out = []
        for b, a, g, h, one in zip(albums.tolist(), arts.tolist(),
                                   cat.artist_genre[arts].tolist(),
                                   self._hashes(_KIND_ALBUM, albums), single.tolist()):
            if one:
                name = next(single_names)
            elif h % 10 == 0:
                name = self.artist_name(a)  # self-titled
            else:
                fns = _ALBUM_FN[g]
                base = fns[(h >> 1) % len(fns)](h)
                name = _ALBUM_FORM_FN[(h >> 59) % len(_ALBUM_FORM_FN)](base, h)
            cache[b] = name
            out.append(name)
        return out


def _syllables(h: int) -> str:
    return (SYLLABLE[(h >> 3) % len(SYLLABLE)] + SYLLABLE[(h >> 13) % len(SYLLABLE)]
            + SYLLABLE[(h >> 23) % len(SYLLABLE)]).capitalize()


# template field -> (word list, hash shift) or a function of the hash
_FIELDS = {
    "adj": (ADJ, 5), "noun": (NOUN, 12), "noun2": (NOUN, 33), "phrase": (PHRASE, 19),
    "tail": (TAIL, 26), "plural": (PLURAL, 40), "first": (FIRST, 9), "first2": (FIRST, 30),
    "last": (LAST, 16), "rap": (RAP, 23), "rap2": (RAP, 44), "lfirst": (LATIN_FIRST, 9),
    "lfirst2": (LATIN_FIRST, 30), "llast": (LATIN_LAST, 16), "lword": (LATIN_WORDS, 12),
    "lword2": (LATIN_WORDS, 37), "xmas": (CHRISTMAS, 23), "holy": (WORSHIP, 29),
    "place": (PLACES, 35), "form": (FORMS, 7), "key": (KEYS, 14), "roman": (ROMAN, 21),
    "tempo": (TEMPI, 27), "kind": (("Song", "Blues", "Anthem", "Theory"), 47),
    "instr": (("Piano", "Strings", "Orchestra", "Cello"), 47),
    "mode": (("Major", "Minor"), 52),
    "num": lambda h: str(1 + (h >> 38) % 30), "no": lambda h: str(1 + (h >> 42) % 9),
    "op": lambda h: str(1 + (h >> 46) % 120), "syl": _syllables,
    "SYL": lambda h: _syllables(h).upper(), "RAP": lambda h: RAP[(h >> 23) % len(RAP)].upper(),
}


def _compile(template: str, extra: str = ""):
    """'{adj} {noun}' -> a function of the hash building that string (no per-call parsing)."""
    env: dict = {}
    parts = []
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(repr(literal))
        if field is None:
            continue
        if field.isdigit():  # positional: album forms take (base, h)
            parts.append("base")
            continue
        spec = _FIELDS[field]
        env[f"_{field}"] = spec if callable(spec) else spec[0]
        parts.append(f"_{field}(h)" if callable(spec) else
                     f"_{field}[(h >> {spec[1]}) % {len(spec[0])}]")
    args = "base, h" if extra == "base" else "h"
    return eval(f"lambda {args}: " + (" + ".join(parts) or "''"), env)  # noqa: S307 (own templates)


ARTIST_TEMPLATES = {
    "rap": ("Lil {rap}", "Young {rap}", "{rap} {rap2}", "Big {rap}", "{first} {last}",
            "{rap} Money", "{rap}", "YB {rap}", "Lil {first}", "{first}", "{RAP}", "Kid {rap}"),
    "band": ("The {adj} {plural}", "The {plural}", "{adj} {plural}", "{first} {last} Band",
             "{noun} & the {plural}", "{first} {last}", "{adj} {noun}", "{last} Brothers",
             "{first} {last}", "The {last}s"),
    "dj": ("DJ {rap}", "{syl}", "{SYL}", "{syl} & {first}", "{adj} {plural}", "{syl}", "{syl}x",
           "{first} {last}", "DJ {syl}", "{syl}"),
    "latin": ("{lfirst} {llast}",) * 6 + ("{lfirst} y {lfirst2}", "J {llast}", "Los {plural}",
                                          "{lfirst}"),
    "worship": ("{place} Worship", "{place} Music", "{first} {last}", "{first} {last}",
                "{noun} Worship", "{first} {last}", "{plural} of {holy}", "{holy} United"),
    "classical": ("{first} {last}", "{last} Quartet", "{place} Symphony Orchestra",
                  "{place} Philharmonic", "{first} {last}", "{last}", "{first} {last}",
                  "{place} Chamber Players", "{last}"),
    "jazz": ("{first} {last}", "{first} {last} Trio", "{first} {last} Quartet", "{first} {last}",
             "The {last} Band", "{first} {last} Quintet", "{adj} {noun} Orchestra"),
    "ambient": ("{adj} {noun} Sounds", "Sleep {noun}", "{noun} Therapy", "Relaxing {noun} Music",
                "{adj} {plural}", "{first} {last}", "Deep {noun}", "{noun} Lullabies",
                "Calm {plural}"),
    "solo": ("{first} {last}",) * 6 + ("{first}", "{adj} {first}", "{first} {last}"),
}
_TRACK_DEFAULT = ("{adj} {noun}", "{noun}", "{phrase}", "{phrase} {tail}", "The {noun} {kind}",
                  "{adj} {noun}", "{noun} {tail}", "{phrase}", "{noun} of {noun2}")
_TRACK_SPECIAL = {
    "classical": ("{form} No. {no} in {key} {mode}, Op. {op}: {roman}. {tempo}",),
    "christmas": ("{adj} {xmas}", "{xmas} {noun}", "{xmas} {tail}", "It's {xmas} Time",
                  "{phrase} This {xmas}") + _TRACK_DEFAULT[:4],
    "worship": ("{holy}", "{holy} {noun}", "{phrase} ({holy})", "Your {noun}",
                "{holy} Is Your Name") + _TRACK_DEFAULT[:4],
    "latin": ("{lword}", "{lword} {lword2}", "{lword}", "La {lword}", "{lword} - Remix",
              "{lword}") + _TRACK_DEFAULT[:3],
    "sleep": ("{adj} {noun}", "Rain on the {noun}", "Deep Sleep {num}", "{noun} Meditation",
              "{adj} {plural}") + _TRACK_DEFAULT[:3],
    "rap": ("{RAP}", "{rap} {noun}", "{noun}", "{rap}") + _TRACK_DEFAULT,
}
ALBUM_TEMPLATES = {
    "classical": ("{last}: {form}s", "{form}s for {instr}", "{last}: {form}s"),
    "christmas": ("A {adj} Christmas", "{xmas} Songs", "{adj} {xmas}", "{xmas} {noun}"),
}
ALBUM_FORMS = ("{0}",) * 12 + ("{0} - EP", "{0} - EP", "{0} (Deluxe)", "{0} (Deluxe Edition)",
                              "Live at {place}", "Greatest Hits")


def _track_templates(g: Genre) -> tuple[str, ...]:
    return _TRACK_SPECIAL.get(g.name) or _TRACK_SPECIAL.get(g.style) or _TRACK_DEFAULT


_STYLE_INDEX = {name: i for i, name in enumerate(ARTIST_TEMPLATES)}
_ARTIST_FN = [tuple(_compile(t) for t in ts) for ts in ARTIST_TEMPLATES.values()]
_TRACK_FN = [tuple(_compile(t) for t in _track_templates(g)) for g in GENRES]
_ALBUM_FN = [tuple(_compile(t) for t in ALBUM_TEMPLATES.get(g.name, ())) or _TRACK_FN[i]
             for i, g in enumerate(GENRES)]
_ALBUM_FORM_FN = tuple(_compile(t, "base") for t in ALBUM_FORMS)
_FEATURING = [g.style in ("rap", "dj", "latin", "solo") for g in GENRES]
_SUFFIXED = [g.style not in ("ambient", "classical") for g in GENRES]


# ----------------------------------------------------------------------------- features
FEATURE_COLUMNS = ("danceability", "energy", "key", "loudness", "mode", "speechiness",
                   "acousticness", "instrumentalness", "liveness", "valence", "tempo",
                   "duration_ms", "time_signature")
# centroid index -> (kind, artist spread, track noise); "logit" features live in (0, 1)
_CONT = (("danceability", 0, "logit", 0.35, 0.45), ("energy", 1, "logit", 0.35, 0.45),
         ("loudness", 2, "db", 1.8, 2.2), ("speechiness", 3, "logit", 0.4, 0.55),
         ("acousticness", 4, "logit", 0.6, 0.9), ("instrumentalness", 5, "logit", 0.9, 1.4),
         ("liveness", 6, "logit", 0.3, 0.6), ("valence", 7, "logit", 0.4, 0.55),
         ("tempo", 8, "bpm", 7.0, 14.0))


def audio_features(cat: SyntheticCatalog, tracks: np.ndarray) -> dict[str, np.ndarray]:
    """Audio features for `tracks` (sorted catalog ids): genre centroid + artist offset +
    track noise. Deterministic in (catalog seed, the set of tracks)."""
    tracks = np.asarray(tracks, dtype=np.int64)
    art = cat.track_artist[tracks]
    gen = cat.artist_genre[art]
    cent = np.array([g.centroid for g in GENRES])
    rng_a = np.random.default_rng([cat.seed, 0xFEA7, cat.n_artists])
    art_off = rng_a.normal(size=(cat.n_artists, len(_CONT) + 1))[art]
    rng = np.random.default_rng([cat.seed, 0xFEA8, len(tracks)])
    out: dict[str, np.ndarray] = {}
    for i, (name, ci, kind, sd_art, sd_track) in enumerate(_CONT):
        c = cent[gen, ci]
        noise = sd_art * art_off[:, i] + sd_track * rng.normal(size=len(tracks))
        if kind == "logit":
            c = np.clip(c, 1e-4, 1 - 1e-4)
            out[name] = 1.0 / (1.0 + np.exp(-(np.log(c / (1 - c)) + noise)))
        elif kind == "db":
            out[name] = np.clip(c + noise, -60.0, 0.0)
        else:
            out[name] = np.clip(c + noise, 50.0, 210.0)
    out["key"] = rng.integers(0, 12, len(tracks))
    major = cent[gen, 9]
    mode_p = 1.0 / (1.0 + np.exp(-(np.log(major / (1 - major)) + 0.5 * art_off[:, -1])))
    out["mode"] = (rng.random(len(tracks)) < mode_p).astype(np.int64)
    u = rng.random(len(tracks))
    out["time_signature"] = np.where(u < cent[gen, 10], 3, np.where(u > 0.985, 5, 4))
    out["duration_ms"] = cat.track_duration[tracks]
    return out
