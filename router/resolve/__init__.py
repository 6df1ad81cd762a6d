"""Resolve: identity, reasoning over order and carrier facts, the decision. Pure functions."""
