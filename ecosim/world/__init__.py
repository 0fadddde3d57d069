"""The model: the world's state, each part with its owner module, and its dynamics."""
