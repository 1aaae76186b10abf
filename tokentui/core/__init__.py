"""The headless core: connection and session, store, query, expiry, config, credentials,
ownership, self-rotation and write outcomes. Imports the API layer (``tokentui.gitlab``), never
Textual and never a front (docs/architecture.md)."""
