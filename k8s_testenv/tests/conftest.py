"""The environment's own smoke suite uses the shared Kubernetes fixtures."""

from k8s_testenv.fixtures import kube, namespace

__all__ = ["kube", "namespace"]
