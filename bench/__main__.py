"""``python -m bench``: run the benchmarks and write bench/results/latest.{json,md}."""

import sys

from bench.cli import main

sys.exit(main())
