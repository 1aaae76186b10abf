"""The Textual front: the app, its actions, screens and widgets. The only wing that imports
Textual (docs/architecture.md)."""
