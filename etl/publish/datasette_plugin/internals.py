"""Everything papershelf takes from Datasette 0.65 beyond its documented plugin hooks and API.

The rest of the plugin uses what Datasette documents: the hooks (``register_routes``, ``startup``,
``render_cell``, ...), ``Response``, ``datasette.urls``, ``render_template``, ``ensure_permissions``,
``setting``, ``metadata``, ``get_database`` and ``db.execute``, ``tilde_encode``. What is here reaches
into its internals, so that moving to Datasette 1.0 starts in this module;
tests/test_datasette_internals.py fails loudly, naming the name, when an upgrade moves or changes one.

- ``table_view``: Datasette's own table view. The ranked search takes over the papers table's route
  (``register_routes``) and hands every request it does not rank back to this view.
- ``Filters`` (its column-filter syntax: ``has_code=1``, ``last_seen__gte=``), ``QueryInterrupted``
  (a query cut by ``sql_time_limit_ms``), ``escape_sqlite``, ``urlsafe_components``: so that the
  ranked view reads filters and row keys exactly as Datasette's views do. (Searches are escaped by
  ``etl.db.search.fts_query`` with Datasette's ``escape_fts``, which the canned queries call: imported
  there from ``datasette.utils`` alone, as `papershelf search` does not load the plugin.)
- ``add_view_counts``: the inspect data changed in place, so that a view's page takes its count from it.
- ``register``: the plugin registered with Datasette's plugin manager when no entry point did.
"""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.filters import Filters
from datasette.utils import escape_sqlite, urlsafe_components

__all__ = [
    "Filters",
    "QueryInterrupted",
    "add_view_counts",
    "escape_sqlite",
    "register",
    "table_view",
    "urlsafe_components",
]

from ..serving import VIEWS as VIEW_COUNTS  # the inspect data's key for the views' counts

TESTED_WITH = "0.65"  # the Datasette series these names were checked against


def register(module: Any, name: str) -> None:
    """Register ``module`` as a plugin unless its entry point already did."""
    from datasette.plugins import pm

    if not pm.is_registered(module):
        pm.register(module, name=name)


async def table_view(datasette: Any, request: Any, send: Any) -> Any:
    """Datasette's table view for ``request`` (a route of ``register_routes`` that hands it back)."""
    # Imported here: Datasette loads plugins while its own views module is half-imported.
    from datasette.views.table import TableView

    return await TableView.as_view(datasette)(request, send)


def add_view_counts(datasette: Any) -> None:
    """Give Datasette the views' counts of the inspect data, so that a view's page does not count a
    join of millions of rows: its table view takes an unfiltered count from the inspect data's
    "tables". The database page's counts are taken first, from the tables alone (a view among
    them is a server error there)."""
    for name, data in (datasette.inspect_data or {}).items():
        if not data.get(VIEW_COUNTS) or name not in datasette.databases:
            continue
        datasette.databases[name].cached_table_counts  # noqa: B018 - made now, from the tables only
        data["tables"] = {**data["tables"], **data[VIEW_COUNTS]}
