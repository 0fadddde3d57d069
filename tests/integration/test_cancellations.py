"""A provider that no longer needs what it ordered cancels its newest untouched orders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import ecosim
from ecosim.core.rng import Streams
from ecosim.world import supply
from ecosim.world.build import build_world

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


def test_cancelling_takes_the_newest_untouched_orders_and_keeps_the_books() -> None:
    s = ecosim.load_scenario(SMALL).scenario
    w = build_world(s, Streams(s.seed))
    p = w.providers.index("aws")
    home = int(w.prov_home[p])
    first = supply.place_order(w, "provider", p, home, 1000.0, 0.0)
    second = supply.place_order(w, "provider", p, home, 500.0, 1.0)
    backlog = w.backlog.sum()
    on_order = supply.provider_orders_at(w)[p].sum()
    cancelled = supply.cancel_for_provider(w, p, 700.0)
    assert cancelled == 700.0
    assert np.isclose(w.backlog.sum(), backlog - 700.0)
    assert np.isclose(supply.provider_orders_at(w)[p].sum(), on_order - 700.0)
    book = w.orders
    open_quantity = book.remaining[: book.n][book.open[: book.n]].sum()
    assert np.isclose(open_quantity, first + second - 700.0)
    # the newest order went first and is closed; the older one lost the other 200
    assert np.isclose(w.prov_cancelled[p], 700.0)
