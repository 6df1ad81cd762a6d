"""Channel adapters: one folder per provider, each listed once in channels/registry.py."""
