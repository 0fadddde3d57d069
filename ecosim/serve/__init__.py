"""The planner's page (``ecosim serve``): levers in, bottleneck and cost out, in a browser.

A roadmap planner picks a scenario and a region, moves the region's levers and the shocks'
dates and severities, and watches the bottleneck matrix and the cost change; each run is an
ordinary ecosim run, with the same numbers as ``ecosim run`` with the same ``--set`` flags.

The page is a `Dash <https://dash.plotly.com>`_ app. Dash was chosen because:

* it serves every script and style sheet it needs from the installed Python packages
  (``serve_locally``, its default), so the page works with no internet, as on CI, and the
  browser fetches nothing from elsewhere;
* a page is Python (a layout of components, callbacks on their values): controls can be made
  from the scenario's declarations and results drawn from xarray datasets without a
  hand-written front end;
* it runs on Flask, a plain WSGI application: the page is served by a threaded WSGI server on
  the loopback, tested in a real browser with nothing more than selenium, and extra routes
  (the downloads) are ordinary Flask routes;
* its figures are Plotly's, interactive (hover shows a cell's value, zoom on a period) and drawn
  by the browser, and it is widely used and maintained, released with its dependencies pinned
  to ranges.

Panel and Solara were the alternatives: Panel's Bokeh server and Solara's Vue front end both
work offline too, but each runs a websocket session per tab with its own server model, which
is more to test and to keep alive than Dash's stateless requests; Dash's request per callback
also fits a page that polls the progress of background runs.

Modules: :mod:`~ecosim.serve.catalogue` (which scenarios the page may read),
:mod:`~ecosim.serve.controls` (controls from declarations, settings as ``--set`` flags and as
the page's address), :mod:`~ecosim.serve.jobs` (runs in the background, their progress, stop
and gain), :mod:`~ecosim.serve.figures` (Plotly figures of a result),
:mod:`~ecosim.serve.forms` (the controls as Dash components), :mod:`~ecosim.serve.cards` (a
run's card, the runs side by side) and :mod:`~ecosim.serve.page` (the Dash app: layout,
callbacks, downloads, server). Nothing of the model imports this package; the web library is
imported by the last four, which only ``ecosim serve`` imports, when it runs.
"""
