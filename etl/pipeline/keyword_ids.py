"""Ids of extracted keywords: the one interface ``enrich.rank_chunk`` gives keywords ids through.

A keyword is its concept key (``keyword_identity.concept_key``). A key stored before keeps its id; a
new key gets the next id, in order of first appearance, so that every way of building gives the same
ids. Ranking runs a chunk of papers at a time:

- ``start_chunk(keys)``: the keys the chunk's keywords hold, looked up at once;
- ``id_of(key, display)``: each keyword's id, a new one for a key never seen;
- ``end_chunk()``: the keywords given ids in the chunk, as rows ``(id, key, display)``, which the
  caller writes before the next chunk starts.

Two implementations:

- ``StoredKeywordIds`` looks keys up in the ``keywords`` table of the database being written (builds
  in-process and adds);
- ``ArchivedKeywordIds`` keeps its own record, for the parallel build's enricher, which cannot read the
  database the loader writes: recent keys in a dict, the others as a sorted array of key hashes (12
  bytes a key at a million papers) confirmed against a side file of keys.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from etl.db.index import next_id

KeywordRow = tuple[int, str, str]  # (id, key, display)
CACHE = 200_000  # ids a StoredKeywordIds keeps in memory (the keywords table answers the rest)
RECENT = 100_000  # ids an ArchivedKeywordIds keeps in its dict before they join the archive
LOOKUP = 500  # keys per query


class KeywordIds(Protocol):
    def start_chunk(self, keys: list[str]) -> None: ...

    def id_of(self, key: str, display: str) -> int: ...

    def end_chunk(self) -> list[KeywordRow]: ...


class StoredKeywordIds:
    """Ids from the ``keywords`` table of ``conn``; new ones follow the largest stored id."""

    def __init__(self, conn: sqlite3.Connection, *, cache: int = CACHE) -> None:
        self.conn = conn
        self.cache = cache
        self.ids: dict[str, int] = {}
        self.next = next_id(conn, "keywords")
        self.new_rows: list[KeywordRow] = []

    def start_chunk(self, keys: list[str]) -> None:
        if len(self.ids) + len(keys) > self.cache:
            self.ids.clear()
        unknown = sorted({key for key in keys if key not in self.ids})
        for start in range(0, len(unknown), LOOKUP):
            part = unknown[start : start + LOOKUP]
            self.ids.update(self.conn.execute(
                f"select key, id from keywords where key in ({', '.join('?' * len(part))})", part))

    def id_of(self, key: str, display: str) -> int:
        found = self.ids.get(key)
        if found is not None:
            return found
        keyword_id = self.ids[key] = self.next
        self.next += 1
        self.new_rows.append((keyword_id, key, display))
        return keyword_id

    def end_chunk(self) -> list[KeywordRow]:
        rows, self.new_rows = self.new_rows, []
        return rows


class ArchivedKeywordIds:
    """Ids given from ``first_id`` on, after the ``known`` keywords, with no database to ask.

    A key is looked up among the recent keys (a dict of at most ``recent``), else among the hashes of
    all the keys given an id before (sorted arrays, new ones inserted in place): a hash found there is
    confirmed by reading that id's key back from ``keys`` (a table ``keys (id integer primary key, key
    text)`` this class fills); a key whose hash another key has is kept apart by its string; a key
    whose hash is not there is new, with no look-up at all. ``key_hash`` is Python's ``hash`` (a test
    makes keys collide)."""

    def __init__(self, keys: sqlite3.Connection, first_id: int, *, recent: int = RECENT,
                 key_hash: Callable[[str], int] = hash) -> None:
        import numpy as np  # here: an add never needs it

        self.np = np
        self.keys = keys
        self.recent_limit = recent
        self.key_hash = key_hash
        self.first = first_id
        self.next = first_id
        self.recent: dict[str, int] = {}
        self.archived_hashes = np.zeros(0, dtype=np.int64)  # sorted
        self.archived_ids = np.zeros(0, dtype=np.int32)
        self.unarchived: list[tuple[str, int]] = []  # (key, id) given since the last archive
        self.collided: dict[str, int] = {}
        self.candidates: dict[str, int] = {}
        self.new_rows: list[KeywordRow] = []

    @property
    def assigned(self) -> int:
        """The number of new ids given."""
        return self.next - self.first

    def known(self, rows: Iterable[tuple[int, str]]) -> None:
        """Keywords stored before (id, key): their keys keep their ids."""
        rows = list(rows)
        self.keys.executemany("insert into keys (id, key) values (?, ?)", rows)
        self.unarchived.extend((key, keyword_id) for keyword_id, key in rows)
        if self.unarchived:
            self.archive()

    def start_chunk(self, keys: list[str]) -> None:
        np = self.np
        if len(self.recent) > self.recent_limit:
            self.archive()
        unknown = list(dict.fromkeys(key for key in keys if key not in self.recent))
        self.candidates = {}
        if unknown:
            at, archived = self._find(np.array(list(map(self.key_hash, unknown)), dtype=np.int64))
            hit = np.flatnonzero(archived)
            found = self.archived_ids[at[hit]].tolist()
            self.candidates = dict(zip(map(unknown.__getitem__, hit.tolist()), found))

    def _find(self, hashes: Any) -> tuple[Any, Any]:
        """Where each of ``hashes`` is, or would go, in the archive, and whether it is there."""
        np = self.np
        at = np.searchsorted(self.archived_hashes, hashes)
        if not len(self.archived_hashes):
            return at, np.zeros(len(hashes), dtype=bool)
        return at, self.archived_hashes[np.minimum(at, len(self.archived_hashes) - 1)] == hashes

    def id_of(self, key: str, display: str) -> int:
        found = self.recent.get(key)
        if found is not None:
            return found
        found = self.candidates.get(key)
        if found is not None:
            row = self.keys.execute("select key from keys where id = ?", (found,)).fetchone()
            if row is not None and row[0] == key:
                self.recent[key] = found
                return found
        found = self.collided.get(key)
        if found is not None:
            return found
        keyword_id = self.next
        self.next += 1
        self.recent[key] = keyword_id
        self.unarchived.append((key, keyword_id))
        self.new_rows.append((keyword_id, key, display))
        return keyword_id

    def end_chunk(self) -> list[KeywordRow]:
        """The chunk's new keywords; their keys are kept in ``keys``."""
        rows, self.new_rows = self.new_rows, []
        self.keys.executemany("insert into keys values (?, ?)", ((keyword_id, key) for keyword_id, key, _ in rows))
        return rows

    def archive(self) -> None:
        """The keys given ids since the last archive join the sorted hashes; the recent keys are
        forgotten (the archive answers for them)."""
        np = self.np
        keys = [key for key, _ in self.unarchived]
        hashes = np.array(list(map(self.key_hash, keys)), dtype=np.int64)
        ids = np.array([keyword_id for _, keyword_id in self.unarchived], dtype=np.int32)
        # A hash already archived, or twice among these: that key is kept apart, by its string.
        _, apart = self._find(hashes)
        order = np.argsort(hashes, kind="stable")
        apart[order[1:]] |= hashes[order[1:]] == hashes[order[:-1]]
        for index in np.flatnonzero(apart).tolist():
            self.collided[keys[index]] = int(ids[index])
        # The others are new hashes, distinct: inserted in place (no sort of the whole archive).
        joining = order[~apart[order]]
        at = np.searchsorted(self.archived_hashes, hashes[joining])
        self.archived_hashes = np.insert(self.archived_hashes, at, hashes[joining])
        self.archived_ids = np.insert(self.archived_ids, at, ids[joining])
        self.unarchived = []
        self.recent = {}
