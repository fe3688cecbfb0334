"""The embedded LLM sizing engine: catalog, vectorised formulas, calc cards, lint.

Modules: ``catalog`` (JSON data with sources, id lookup), ``params`` (counts from configs),
``engine`` (numpy formulas over arrays of scenarios), ``scalar`` (the same formulas for one
scenario), ``scenarios`` (building inputs and sweeps), ``report`` (one answer with worked
steps), ``whatif`` (pruning, 2:4, distillation), ``units`` (GB = 1e9, GiB = 2^30, parsing),
``calc_cards``/``calc_templates``/``calc_grade`` (calculation cards), ``claims``/``lint``
(fact-checking numbers in notes).
"""
