"""Delivery: the primary (synchronous) and the mirrors (after the answer)."""
