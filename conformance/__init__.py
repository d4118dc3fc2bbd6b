"""The conformance suite: language-neutral cases run through every SDK.

``python -m conformance`` starts reference servers, runs every case of
``cases/`` through every client under test listed in ``clients.yaml`` and
prints a matrix of areas by client. See ``conformance/README.md``.
"""
