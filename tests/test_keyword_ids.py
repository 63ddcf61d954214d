"""The keyword-id allocators (etl/pipeline/keyword_ids.py): both give a key stored before its id and
a new key the next id in order of first appearance, whatever their caches and hashes do."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from etl.db import index
from etl.pipeline.keyword_ids import ArchivedKeywordIds, KeywordIds, StoredKeywordIds

Chunk = list[tuple[str, str]]  # (key, display) of the keywords a chunk of papers ranked


@pytest.fixture(scope="module")
def chunks(seed_db: Path) -> list[Chunk]:
    """The seed's extracted keywords as ranking meets them: paper by paper, 5 papers a chunk (keys
    repeat within a chunk and across chunks)."""
    conn = sqlite3.connect(seed_db)
    rows = conn.execute(
        "select p.rowid, a.key, a.alias from paper_keywords pk join papers p on p.id = pk.paper_id"
        " join keyword_aliases a on a.keyword_id = pk.keyword_id and a.source = pk.source"
        " where pk.source = 'papershelf' and a.rowid = (select min(rowid) from keyword_aliases b"
        "   where b.keyword_id = pk.keyword_id and b.source = 'papershelf')"
        " order by p.rowid, pk.rank").fetchall()
    conn.close()
    papers = sorted({rowid for rowid, _, _ in rows})
    chunk_of = {rowid: index // 5 for index, rowid in enumerate(papers)}
    out: list[Chunk] = [[] for _ in range(max(chunk_of.values()) + 1)]
    for rowid, key, display in rows:
        out[chunk_of[rowid]].append((key, display))
    assert len(out) > 10 and len({key for chunk in out for key, _ in chunk}) > 100
    return out


def first_appearance(chunks: list[Chunk], first_id: int, known: dict[str, int]) -> dict[str, int]:
    """What any allocator must give: known keys their ids, the others ids from first_id in order."""
    ids = dict(known)
    for chunk in chunks:
        for key, _ in chunk:
            if key not in ids:
                ids[key] = first_id + len(ids) - len(known)
    return ids


def allocate(ids: KeywordIds, chunks: list[Chunk],
             write: Callable[[list[tuple]], None] = lambda rows: None) -> tuple[dict[str, int], list[tuple]]:
    """Ids for every keyword of ``chunks``, as ``enrich.rank_chunk`` asks them; a key keeps its id."""
    given: dict[str, int] = {}
    new_rows: list[tuple] = []
    for chunk in chunks:
        ids.start_chunk([key for key, _ in chunk])
        for key, display in chunk:
            keyword_id = ids.id_of(key, display)
            assert given.setdefault(key, keyword_id) == keyword_id, key
        rows = ids.end_chunk()
        write(rows)
        new_rows += rows
    return given, new_rows


def database(known: dict[str, int]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    index.create_tables(conn)
    conn.executemany("insert into keywords (id, key, display) values (?, ?, ?)",
                     [(keyword_id, key, key) for key, keyword_id in known.items()])
    return conn


def keys_file() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table keys (id integer primary key, key text not null)")
    return conn


def known_keys(chunks: list[Chunk]) -> dict[str, int]:
    """Some keys of the stream stored before, with ids that are not in order."""
    keys = sorted({key for chunk in chunks for key, _ in chunk})
    return {key: 100 - number for number, key in enumerate(keys[::17])}


@pytest.mark.parametrize("cache", [3, 200_000])
def test_stored_ids_follow_the_keywords_table(chunks: list[Chunk], cache: int) -> None:
    known = known_keys(chunks)
    conn = database(known)
    ids = StoredKeywordIds(conn, cache=cache)

    def write(rows: list[tuple]) -> None:  # as enrich.write_keyword_rows does before the next chunk
        conn.executemany("insert into keywords (id, key, display) values (?, ?, ?)", rows)

    given, new_rows = allocate(ids, chunks, write)
    assert given == first_appearance(chunks, max(known.values()) + 1, known)
    # Each new keyword is one row, shown as the first paper wrote it.
    first_display = {}
    for chunk in chunks:
        for key, display in chunk:
            first_display.setdefault(key, display)
    assert new_rows == sorted((given[key], key, first_display[key]) for key in given if key not in known)


@pytest.mark.parametrize("recent", [2, 40, 100_000])
def test_archived_ids_follow_first_appearance_even_when_hashes_collide(chunks: list[Chunk], recent: int) -> None:
    known = known_keys(chunks)
    first_id = max(known.values()) + 1
    keys = keys_file()
    # Seven hash values for hundreds of keys: almost every key collides with an archived one.
    ids = ArchivedKeywordIds(keys, first_id, recent=recent, key_hash=lambda key: hash(key) % 7)
    ids.known(sorted((keyword_id, key) for key, keyword_id in known.items()))
    given, new_rows = allocate(ids, chunks)
    assert given == first_appearance(chunks, first_id, known)
    assert ids.assigned == len(new_rows) == len(given) - len(known)
    # The side file holds every key by its id (collisions are confirmed against it).
    assert dict(keys.execute("select key, id from keys")) == given
    assert ids.collided  # the path was taken


def test_archived_ids_with_python_s_hash(chunks: list[Chunk]) -> None:
    ids = ArchivedKeywordIds(keys_file(), 1, recent=10)
    given, _ = allocate(ids, chunks)
    assert given == first_appearance(chunks, 1, {})
    assert len(ids.archived_hashes) > 0 and not ids.collided
