"""The GitLab API layer: client, models, token sources, errors. Never imports Textual.

Importing it changes nothing outside it (the ``tokentui`` command's start-up tweaks live in
:func:`tokentui.cli.main.tune_start`).
"""
