"""Calibration and validation against history and theory.

- :mod:`ecosim.calibrate.expr`: the mapping language from a run to an observed series;
- :mod:`ecosim.calibrate.episodes`: historical episodes and their checks;
- :mod:`ecosim.calibrate.fit`: fitting uncertain parameters, versioned calibrated files;
- :mod:`ecosim.calibrate.theory`: analytic checks (Erlang C, resilience closed forms);
- :mod:`ecosim.calibrate.cli`: ``ecosim calibrate`` and the episode part of ``ecosim validate``.
"""
