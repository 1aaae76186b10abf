"""tokentui: a keyboard-first terminal app for managing GitLab access tokens."""

__version__ = "0.1.0"
