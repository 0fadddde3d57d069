"""Calibration and validation against history and theory.

- :mod:`ecosim.calibrate.expr`: the mapping language from a run to an observed series;
- :mod:`ecosim.calibrate.episodes`: historical episodes and their checks;
- :mod:`ecosim.calibrate.fit`: fitting uncertain parameters, versioned calibrated files;
- :mod:`ecosim.calibrate.theory`: analytic checks (Erlang C, resilience closed forms).

Their commands are ``ecosim calibrate`` (:mod:`ecosim.cli.calibrate`) and ``ecosim validate``
(:mod:`ecosim.cli.validate`).
"""
