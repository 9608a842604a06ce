"""Whole data sets: ``ssgc-ref batch encode|decode|eval`` on Ray (informative tooling).

    sources.py   which files a batch reads, collision-free output names (no Ray)
    work.py      what is done to one image: encode, decode, eval (+ the VVC-alone anchor); no Ray
    manifest.py  the JSON-lines manifest, atomic outputs, --resume
    engine.py    Ray: tasks for the CPU stages, an actor pool of decoders (imports Ray when run)
    plots.py     rate-quality curves and the contact sheet of batch eval (matplotlib)

Nothing here is imported by the codec itself; Ray is imported only when a batch runs.
"""
