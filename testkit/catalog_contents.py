"""The catalog's contents as plain rows, for comparing two catalogs.

Row ids are autoincrement artefacts: two catalogs holding the same data can number
their rows differently (e.g. an ingest that was killed and resumed). `natural_contents`
therefore drops the ids of artists, albums, tracks and playlists and replaces every
reference to one of them (found through the schema's foreign keys, so new tables are
covered) by its natural key: a URI, or '<source>:<source_id>' for a playlist.
`table_rows` keeps the raw rows, ids included, for checking that nothing changed at all.
The tests and the crawl benchmark compare catalogs with these.
"""
from __future__ import annotations

from data.store import Catalog

# Tables whose rows have a natural key, and that key as an SQL expression on alias {a}.
NATURAL_KEYS = {
    "artists": "{a}.uri",
    "albums": "{a}.uri",
    "tracks": "{a}.uri",
    "playlists": "{a}.source || ':' || {a}.source_id",
}
# Columns that say when something happened, not what is stored.
_WHEN = {"ingested_slices": {"ingested_at"}}


def natural_contents(catalog: Catalog) -> dict[str, list[tuple]]:
    """{table: sorted rows} for every table, with ids replaced by natural keys.

    Columns keep the table's order; a keyed table's own `id` is left out and a column
    referencing a keyed table holds that row's natural key (NULL stays NULL).
    """
    out = {}
    for table in table_names(catalog):
        columns = [r[1] for r in catalog.query(f'PRAGMA table_info("{table}")')]
        refs = {r[3]: r[2] for r in catalog.query(f'PRAGMA foreign_key_list("{table}")')}
        select, joins = [], []
        for i, col in enumerate(columns):
            if col in _WHEN.get(table, ()) or (col == "id" and table in NATURAL_KEYS):
                continue
            target = refs.get(col)
            if target in NATURAL_KEYS:
                alias = f"r{i}"
                joins.append(f'LEFT JOIN "{target}" {alias} ON {alias}.id = t."{col}"')
                select.append(NATURAL_KEYS[target].format(a=alias))
            else:
                select.append(f't."{col}"')
        sql = f'SELECT {", ".join(select)} FROM "{table}" t {" ".join(joins)}'
        out[table] = _sorted(catalog.query(sql))
    return out


def table_rows(catalog: Catalog) -> dict[str, list[tuple]]:
    """{table: sorted rows} for every table, exactly as stored (ids and timestamps included)."""
    return {table: _sorted(catalog.query(f'SELECT * FROM "{table}"'))
            for table in table_names(catalog)}


def table_names(catalog: Catalog) -> list[str]:
    return [r[0] for r in catalog.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]


def _sorted(rows) -> list[tuple]:
    rows = [tuple(r) for r in rows]
    if not any(None in row for row in rows):
        return sorted(rows)
    # NULLs first, so rows with NULLs compare without TypeError (3x slower, so only then).
    return sorted(rows, key=lambda row: tuple((v is not None, v) for v in row))
