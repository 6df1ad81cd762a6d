"""Carrier tracking numbers: recognition and check-digit validation from vendored specs."""
