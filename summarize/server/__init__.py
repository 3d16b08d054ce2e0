"""``summarize serve``: the library over HTTP, with dynamic batching, and a page for editors.

:mod:`.requests` (what a request may hold) → :mod:`.app` (routes, errors,
access, logs) → :mod:`.service` (the model, :mod:`.batcher`, :mod:`.metrics`)
→ the record pipeline (:func:`summarize.jobs.summarize_block`). The page
is in ``page/``; :mod:`.cli` is the command, :mod:`.ray_serve` its scale-out.
"""
