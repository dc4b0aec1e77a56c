"""Paging peewee queries with flask-smorest's ``page``/``page_size`` parameters."""

from __future__ import annotations

from typing import Any

import peewee as pw
from flask_smorest import Page


class QueryPage(Page):
    """One page of a peewee query: a COUNT and a LIMIT/OFFSET, whatever the table size."""

    def load(self, query: pw.ModelSelect) -> list[Any]:
        """Turn the page's query into items; subclasses fetch related rows in bulk here."""
        return list(query)

    @property
    def items(self) -> list[Any]:
        params = self.page_params
        return self.load(self.collection.paginate(params.page, params.page_size))

    @property
    def item_count(self) -> int:
        return self.collection.order_by().count()
