"""One module per CLI command; see bot/cli.py."""
