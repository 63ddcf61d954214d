"""What the plugin takes from Datasette's undocumented internals (etl/publish/datasette_plugin/internals.py) is
there and behaves as the plugin expects. A Datasette upgrade that moves or changes one fails here,
by name, before a page fails for a user."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from datasette import version as datasette_version
from datasette.app import Datasette
from datasette.database import Database
from datasette.utils import escape_fts
from datasette.views.table import TableView

from etl.publish.datasette_plugin import internals
from etl.db.search import fts_query
from etl.publish.serving import inspect_data


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_datasette_series_the_internals_were_checked_against() -> None:
    version = datasette_version.__version__
    assert version.startswith(internals.TESTED_WITH + "."), (
        f"Datasette {version}: check etl/publish/datasette_plugin/internals.py against it, then TESTED_WITH"
    )


def test_filters_read_datasette_s_column_filter_syntax() -> None:
    filters = internals.Filters(sorted([("has_code", "1"), ("last_seen__gte", "2025-01-01")]))
    assert sorted(filters.selections()) == [("has_code", "exact", "1"), ("last_seen", "gte", "2025-01-01")]
    clauses, params = filters.build_where_clauses("papers")
    assert len(clauses) == 2 and sorted(params.values()) == ["1", "2025-01-01"]
    assert filters.human_description_en() == "where has_code = 1 and last_seen ≥ 2025-01-01"


def test_escapes_and_row_keys() -> None:
    assert escape_fts('speculative "decoding') == '"speculative" "decoding"' == fts_query(' speculative "decoding')
    assert internals.escape_sqlite("last_seen") == "last_seen" and internals.escape_sqlite("order") == "[order]"
    assert internals.urlsafe_components("2506~2E08007") == ["2506.08007"]
    assert issubclass(internals.QueryInterrupted, Exception)


def test_the_table_view_and_the_plugin_manager() -> None:
    assert callable(TableView.as_view) and parameters(TableView.as_view) == ["class_args", "class_kwargs"]
    from datasette.plugins import pm

    assert callable(pm.is_registered) and callable(pm.register)


@pytest.mark.asyncio
async def test_view_counts_reach_the_table_view_through_the_inspect_data(seed_db: Path) -> None:
    # Datasette keeps the inspect data as an attribute and fills a database's cached counts from its
    # "tables"; add_view_counts adds the views there once the tables' counts are cached.
    data = inspect_data(seed_db)
    ds = Datasette([str(seed_db)], immutables=[], inspect_data=data)
    assert "inspect_data" in parameters(Datasette.__init__) and ds.inspect_data is data
    assert isinstance(Database.__dict__["cached_table_counts"], property)
    name = seed_db.stem
    internals.add_view_counts(ds)
    assert ds.databases[name].cached_table_counts["papers"] == 63
    assert "paper_list" not in ds.databases[name].cached_table_counts  # a view there breaks the database page
    assert data[name]["tables"]["paper_list"] == {"count": 63}
