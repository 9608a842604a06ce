"""Hostile payloads with valid CRCs, through the whole reference decoder (VVC substream included):
only SSGCError may come out, and no decode may take long (conformance/fuzz.py runs longer)."""

from conformance import fuzz


def test_mutated_payloads_give_only_our_errors():
    passed, failed = fuzz.run(seconds=60, seed=1234, max_iterations=600, max_seconds=10.0)
    assert failed == 0 and passed == 600
