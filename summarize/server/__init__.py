"""``summarize serve``: the library over HTTP, with dynamic batching, and a page for editors.

:mod:`.requests` (what a request may hold) → :mod:`.app` (routes, errors,
access, logs) → :mod:`.service` (the model, :mod:`.metrics`, and the queue:
:mod:`.dispatch`'s interface, implemented in this process by :mod:`.batcher`
and on Ray Serve by :mod:`.ray_serve`) → the record pipeline
(:func:`summarize.jobs.summarize_block`). The page is in ``page/``; :mod:`.cli`
is the command.
"""
