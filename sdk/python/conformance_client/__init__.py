"""The Python clients under test of the conformance suite (conformance/README.md).

``python -m conformance_client --flavour sync|async`` reads CaseRequest
lines on stdin and writes StepResult lines on stdout, running every step
through the SDK's high-level client, ``Client`` or ``AsyncClient``.
"""
