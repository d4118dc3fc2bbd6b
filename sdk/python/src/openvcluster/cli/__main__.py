"""``python -m openvcluster.cli``: the same as the ``ovc`` command."""

from openvcluster.cli import main

main()
