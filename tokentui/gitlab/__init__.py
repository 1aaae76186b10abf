"""The GitLab API layer: client, models, token sources, errors. Never imports Textual."""
