"""P7's baseline: what a python-gitlab script does to find the access tokens of every project
a Maintainer manages, one request after another.

Usage: ``python bench/pgl_everything.py URL`` with ``GITLAB_TOKEN`` set. Lists the projects
where the user is Maintainer or more (``min_access_level=40``, 100 a page), then each one's
project access tokens, in turn; prints ``{"projects": N, "tokens": M}`` on stdout.
"""

from __future__ import annotations

import json
import os
import sys

import gitlab


def main() -> int:
    url = sys.argv[1]
    gl = gitlab.Gitlab(url, private_token=os.environ["GITLAB_TOKEN"], per_page=100)
    projects = gl.projects.list(min_access_level=40, get_all=True)
    tokens = 0
    for project in projects:
        tokens += len(project.access_tokens.list(get_all=True))
    print(json.dumps({"projects": len(projects), "tokens": tokens}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
