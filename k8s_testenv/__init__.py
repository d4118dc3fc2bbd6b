"""A real Kubernetes control plane for tests: build, start, stop, and test support.

``python -m k8s_testenv`` (``scripts/k8s-testenv``) is the command line and
needs only the standard library; ``k8s_testenv.fixtures`` holds the pytest
fixtures the Kubernetes-backed suites share. See README.md.
"""
