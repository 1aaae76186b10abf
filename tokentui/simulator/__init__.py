"""A GitLab-compatible simulator of the access-token API (Starlette; uvicorn or in process).

>>> sim = Simulator(SimulatorConfig(seed=1, tokens=200))
>>> with sim.serve() as url:
...     ...  # GET {url}/api/v4/personal_access_tokens with PRIVATE-TOKEN: sim.admin_token
"""

from tokentui.simulator.config import SimulatorConfig
from tokentui.simulator.faults import Faults, LoggedRequest
from tokentui.simulator.records import GroupRecord, ProjectRecord, TokenRecord, UserRecord
from tokentui.simulator.server import Dispatcher, serve_app
from tokentui.simulator.simulator import Simulator

__all__ = [
    "Dispatcher",
    "Faults",
    "GroupRecord",
    "LoggedRequest",
    "ProjectRecord",
    "Simulator",
    "SimulatorConfig",
    "TokenRecord",
    "UserRecord",
    "serve_app",
]
