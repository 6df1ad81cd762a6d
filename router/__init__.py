"""wismo-router core: knows events, not providers."""
