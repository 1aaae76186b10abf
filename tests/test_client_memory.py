"""Listed tokens share one pydantic fields-set (memory at 100,000 tokens), and stay correct."""

from __future__ import annotations

from tokentui.gitlab.client import GitLabClient
from tokentui.gitlab.sources import PersonalTokens
from tokentui.simulator import Simulator


async def test_listed_tokens_share_their_fields_set_and_copies_stay_independent(
    sim: Simulator,
) -> None:
    async with GitLabClient(sim.url, sim.admin_token) as client:
        tokens = await client.list_tokens(PersonalTokens())
    assert len(tokens) == len(sim.state.tokens)
    shapes = {id(t.__pydantic_fields_set__) for t in tokens}
    assert len(shapes) < len(tokens) // 10  # a few shapes, not one set per token

    shared = tokens[0].__pydantic_fields_set__
    first, second = [t for t in tokens if t.__pydantic_fields_set__ is shared][:2]
    before = set(shared)
    revoked = first.model_copy(update={"revoked": True, "granular": True})
    assert revoked.revoked and revoked.granular
    assert {"revoked", "granular"} <= revoked.model_fields_set
    # The copy got its own set: the shared one (so every other token) is untouched.
    assert shared == before and second.model_fields_set == before
    assert not first.model_fields_set ^ first.model_dump(exclude_unset=True).keys()
