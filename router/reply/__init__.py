"""One voice: decisions rendered into the words every channel sends."""
