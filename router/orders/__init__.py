"""Order sources: the OrderSource protocol and the shops behind it."""
