"""Reliability suites of the reference server: bad input, races, durability, tenancy.

A package, so that its modules never collide with the top-level test modules
of ``server/tests``. See ``README.md`` for what each suite proves.
"""
