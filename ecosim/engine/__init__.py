"""The engine: SimPy processes that schedule the world's events and its step grid."""
