"""Tests of the conformance runner itself (the cases test the SDKs)."""
