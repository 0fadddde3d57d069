"""Calibration recovers a parameter from a synthetic episode generated with it.

The synthetic episode is the V6 scenario (European cloud market) run with a known
``uncertainties.market.reselect_share``; its yearly series becomes the observation. The fit
starts from the default and must land within 0.02 of the true value (the objective is flat to
about that width because 2,000 customer agents make the share move in steps).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ecosim.calibrate.episodes import EPISODES_DIR, load_episode, run_episode
from ecosim.calibrate.fit import Param, calibrate, read_provenance, write_calibrated
from ecosim.scenario.loader import load_scenario

TRUE = 0.07
EXPR = (
    "market_share[region=EU, provider=ovhcloud+deutsche_telekom].sum(provider)"
    " / market_share[region=EU, provider!=outside].sum(provider) | percent"
)


def _synthetic(tmp_path: Path) -> Path:
    d = tmp_path / "synthetic"
    d.mkdir()
    scenario = EPISODES_DIR / "v6_eu_cloud_share" / "scenario.yaml"
    # the fit starts away from the truth, at the default before calibration
    # a smaller world than V6's (no regions the EU market or the chip chain needs) to 2022
    (d / "scenario.yaml").write_text(
        f"extends: {scenario}\nname: synthetic\nhorizon_years: 6\n"
        "regions: {JP: null, UK: null, IN: null, RoW: null}\n"
        "uncertainties: {market: {reselect_share: 0.03}}\n"
    )
    spec = {
        "title": "synthetic",
        "series": [
            {
                "id": "share",
                "simulated": EXPR,
                "units": "%",
                "checks": [
                    {
                        "kind": "point",
                        "date": "2018-07-01",
                        "observed": 0.0,
                        "fact": "synthetic",
                        "tolerance": {"abs": 0.5},
                        "reason": "r",
                    }
                ],
            }
        ],
    }
    (d / "episode.yaml").write_text(yaml.safe_dump(spec))
    # observations: the model itself with the true value, yearly
    _, ds = run_episode(load_episode(d), [f"uncertainties.market.reselect_share={TRUE}"])
    assert ds is not None
    from ecosim.calibrate.expr import parse

    series = parse(EXPR).evaluate(ds)
    checks = []
    for year in (2018, 2019, 2020, 2021, 2022):
        date = f"{year}-07-01"
        value = float(series.sel(time=date, method="nearest"))
        checks.append(
            {
                "kind": "point",
                "date": date,
                "observed": round(value, 3),
                "fact": "synthetic",
                "tolerance": {"abs": 0.5},
                "reason": "synthetic",
            }
        )
    spec["series"][0]["checks"] = checks  # type: ignore[index]
    (d / "episode.yaml").write_text(yaml.safe_dump(spec))
    return d


def test_fit_recovers_known_parameter(tmp_path: Path) -> None:
    episode = load_episode(_synthetic(tmp_path))
    param = Param("uncertainties.market.reselect_share", 0.01, 0.2)
    fit = calibrate([episode], [param], "nelder-mead", max_evals=24)
    # the scenario's own value wins over the shipped calibration the baseline names
    start = load_scenario(episode.scenario_path).scenario.uncertainties.market.reselect_share
    assert fit.start == [start] == [0.03]
    assert fit.objective_after < fit.objective_before
    assert abs(fit.estimate[0] - TRUE) < 0.02, fit.estimate
    assert all(c.passed for r in fit.after for c in r.checks)

    out = write_calibrated(fit, [episode], tmp_path / "cal-v1.yaml", None)
    prov = read_provenance(out)
    assert prov["episodes"] == ["synthetic"]
    assert prov["parameters"]["uncertainties.market.reselect_share"]["estimate"] == fit.estimate[0]
    body = yaml.safe_load(out.read_text())
    assert body == {"uncertainties": {"market": {"reselect_share": round(fit.estimate[0], 6)}}}
