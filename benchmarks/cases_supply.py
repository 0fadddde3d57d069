"""Benchmark cases for the supply kernels at the size of the baseline world.

Four designers over nine regions; six wafer fabs, seven HBM lines, three packagers, two
lithography and two materials suppliers; an order book of 1,500 orders, the newest 40 open,
as a run's book holds them after a year or two; the split of orders fitted over the nine
regions' two parts. The kernels that write into the world's arrays are timed with the copies
of those arrays a call needs to start from the same state, on both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from _bench import Case, repeated_call_case

from ecosim.kernels import supply as k

CALLS = 200
N_REGIONS = 9
#: The arguments fill_orders and step_fabs write into.
FILL_WRITES = (3, 8, 9, 12, 13, 14)
FABS_WRITES = (8, 9, 11, 12)


def _chain(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    per_good = np.array([6, 7, 3, 2])  # wafer, HBM, packaging, lithography
    n_des = 4
    n_mats = 2
    n_rows = n_des + int(per_good.sum()) + n_mats
    rows = np.arange(n_des, n_rows - n_mats, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_good)]).astype(np.int64)
    fabs = rows[: per_good[0]]
    return {
        "cap": rng.uniform(10.0, 150.0, n_rows),
        "nominal": rng.uniform(3e3, 5e4, n_rows),
        "allow": np.where(rng.random((n_rows, N_REGIONS)) < 0.2, 0.5, 1.0),
        "des": np.arange(n_des, dtype=np.int64),
        "rows": rows,
        "offsets": offsets,
        "fabs": fabs,
        "homes": rng.integers(0, N_REGIONS, fabs.size).astype(np.int64),
        "litho": rows[offsets[3] : offsets[4]],
        "mats": np.arange(n_rows - n_mats, n_rows, dtype=np.int64),
        "cycle": rng.uniform(20.0, 120.0, n_rows),
        "throughput": rng.uniform(10.0, 150.0, n_rows),
    }


def _book(seed: int = 0, n: int = 1500) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n_des, n_prov = 4, 12
    by_provider = rng.random(n) < 0.8
    buyer = np.where(by_provider, rng.integers(0, n_prov, n), rng.integers(0, N_REGIONS, n))
    quantity = rng.uniform(50.0, 3e3, n)
    open_ = np.zeros(n, dtype=bool)
    open_[-40:] = True  # the newest orders wait
    remaining = np.where(open_, quantity, 0.0)
    return (
        rng.uniform(200.0, 900.0, n_des),  # a step's output
        np.arange(n_des, dtype=np.int64),
        np.full((n_des + 20, N_REGIONS), np.inf),
        np.zeros((n_des + 20, N_REGIONS)),
        by_provider,
        buyer.astype(np.int64),
        rng.integers(0, n_des, n).astype(np.int64),
        quantity,
        remaining,
        open_,
        n,
        rng.integers(0, N_REGIONS, n_prov).astype(np.int64),
        rng.uniform(1e3, 1e4, n_des),
        np.zeros((N_REGIONS, n_des)),
        rng.uniform(1e3, 1e4, (N_REGIONS, n_des)),
    )


def _on_copies(
    fn: Callable[..., Any], args: tuple[Any, ...], written: tuple[int, ...]
) -> Callable[..., np.ndarray]:
    """``fn`` called on ``args`` with copies of those it writes into (at ``written``), so
    each call starts from the same state; what it returned and wrote, flattened."""

    def run(*_: Any) -> np.ndarray:
        mine = list(args)
        for i in written:
            mine[i] = args[i].copy()
        out = fn(*mine)
        parts = [np.ravel(o).astype(float) for o in (out if isinstance(out, tuple) else ())]
        return np.concatenate(parts + [np.ravel(mine[i]).astype(float) for i in written])

    return run


def cases() -> list[Case]:
    """Return the supply benchmark cases: a step's call, 200 times each."""
    c = _chain()
    book = _book()
    rng = np.random.default_rng(1)
    n_rows = c["cap"].size
    fabs_args = (
        *(c[name] for name in ("nominal", "allow", "litho", "mats", "fabs", "homes")),
        0.999,
        1.0,
        rng.uniform(0.5, 1.0, n_rows),
        rng.uniform(0.0, 60.0, n_rows),
        np.full(n_rows, 60.0),
        np.full(n_rows, 0.5),
        np.ones(n_rows),
        np.zeros(n_rows),
    )
    eligible = (rng.random((2 * N_REGIONS, 4)) < 0.8).astype(float)
    possible = c["cap"][c["des"]]
    wants = rng.uniform(1e3, 1e5, 2 * N_REGIONS)
    split = (
        eligible * possible[None, :],
        wants,
        possible / possible.sum() * wants.sum(),
        1e-10 * float(wants.max()),
    )
    sells = np.ones((4, N_REGIONS))
    mix = (*book[4:7], book[8], book[9], book[10], book[11], sells, c["allow"], c["des"], possible)
    lead = (
        c["cap"],
        rng.uniform(30.0, 200.0, 4),
        possible,
        rng.uniform(0.0, 1e4, 4),
        c["cycle"],
        c["des"],
        c["rows"],
        c["offsets"],
        3,
        c["throughput"],
        730.0,
    )
    # a provider home's split under a control: one designer sells only a compliant share
    route = (
        rng.uniform(0.0, 0.5, (2, 4)),
        rng.uniform(30.0, 200.0, 4),
        possible,
        c["cycle"],
        np.where(np.arange(c["cap"].size)[:, None] == 0, 0.5, c["allow"]),
        sells,
        (rng.random((4, N_REGIONS)) < 0.7).astype(float),
        c["des"],
        0,
        False,
    )
    # the rows' nominal capacity at a day: the trend and forty builds, some moving a firm's
    # capacity abroad
    n_builds = 40
    nominal = (
        c["nominal"],
        rng.uniform(1.0, 3.0, n_rows),
        900.0,
        rng.uniform(1e3, 5e4, n_builds),
        rng.uniform(0.0, 2e3, n_builds),
        rng.uniform(0.0, 900.0, n_builds),
        rng.integers(0, n_rows, n_builds).astype(np.int64),
        rng.random(n_builds) < 0.3,
        np.arange(n_rows, dtype=np.int64),
    )
    return [
        repeated_call_case(
            "supply.fill_orders",
            _on_copies(k.fill_orders, book, FILL_WRITES),
            _on_copies(k.fill_orders_ref, book, FILL_WRITES),
            (),
            CALLS,
            # the copies of the book's arrays each call starts from, and what it wrote,
            # are most of the kernel's side: the loop itself is about a tenth of the twin's
            target=4.0,
        ),
        repeated_call_case(
            "supply.step_fabs",
            _on_copies(k.step_fabs, fabs_args, FABS_WRITES),
            _on_copies(k.step_fabs_ref, fabs_args, FABS_WRITES),
            (),
            CALLS,
        ),
        repeated_call_case("supply.fit_split", k.fit_split, k.fit_split_ref, split, CALLS),
        repeated_call_case("supply.buyer_mix", k.buyer_mix, k.buyer_mix_ref, mix, CALLS),
        repeated_call_case("supply.route_split", k.route_split, k.route_split_ref, route, CALLS),
        repeated_call_case(
            "supply.nominal",
            k.nominal,
            k.nominal_ref,
            nominal,
            CALLS,
            # the twin is only a few numpy calls (bincount twice, then the trend's three)
            target=5.0,
        ),
        repeated_call_case(
            "supply.lead_times",
            lambda *a: np.concatenate(k.lead_times(*a)),
            lambda *a: np.concatenate(k.lead_times_ref(*a)),
            lead,
            CALLS,
        ),
    ]
