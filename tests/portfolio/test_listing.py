"""Pages of the portfolio: chosen by their sort keys, then read; in every sort and direction the
pages put end to end are the whole ordered selection."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.models import PortfolioRow as R
from tracker.portfolio import index, listing


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", listing.SORTS)
def test_pages_end_to_end_are_the_whole_ordered_selection(agency, sort, descending):
    today = date.today()
    freshness = index.ensure(today, agency[0])
    query = listing.Query(sort=sort, descending=descending, include_retired=True)
    whole = [row.system_id for row in listing.rows(today, query)]
    assert len(whole) > 3
    paged, narrow = [], []
    for offset in range(0, len(whole) + 3, 3):
        page = listing.page(today, query, offset, 3, freshness=freshness)
        assert page.total == len(whole)
        paged += page.system_ids
        # Reading fewer columns does not change the order (the system id is added if left out).
        narrow += listing.page(today, query, offset, 3, freshness, columns=(R.summary,)).system_ids
    assert paged == whole
    assert narrow == whole
