"""The benchmarks of open-vcluster-api: ``python -m bench`` (see bench/README.md).

Every target is a ratio of two things measured side by side in one run, so
the numbers stay comparable on a shared, noisy machine. Nothing here asserts
anything about time: the benchmarks print and record, they do not test.
"""
