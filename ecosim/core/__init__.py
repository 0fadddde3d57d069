"""What every layer of ecosim shares: units, dates and the clock, random streams.

Nothing here knows the model: the scenario, the world, the engine and the observers all build
on it, and it imports nothing of ecosim.
"""
