"""Open, versioned feed algorithms: the orders a person may choose for what they read.

Each algorithm is a module of its own whose parameters are declared once at its top, with a
description and a changelog; its version is a hash of its source and parameters
(`versions`), and every page served says which version served it. `catalog` lists them;
`composed` holds the feeds people compose from published parts; `serving` ranks a feed
into a per-viewer snapshot (`snapshots`) and pages through it with the home timeline's
visibility, block and mute rules applied at read time; `why` reads back what was served.

Nothing here weighs a post by anything but the published parameters and the inputs stored
with each snapshot: a page can be replayed from them (see tests/core/test_algorithms.py).
"""
