"""TokenActions: the App-level controller for create / rotate / revoke / source switch / help.

The main screen's bindings call these methods. They refuse what cannot apply (with the reason),
push the dialogs, and run the API calls in App-level workers, each with its own ``group=`` and
``exit_on_error=False`` (a worker dies with the widget that started it, so never from inside a
dialog). A new token's value never is a worker argument or result: the worker hands it straight
to the reveal screen. Errors this module does not handle on the spot (a 401, a server error on
rotate or revoke) are re-raised so the app's one worker-error handler reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import SecretStr

from tokentui.core import source_names
from tokentui.core.everything import Everything, resolve_choice
from tokentui.core.expiry import Clock, token_state
from tokentui.core.expiry import today as today_of
from tokentui.core.operations import (
    Operations,
    Outcome,
    Status,
    create_deploy_token,
    successor_request,
)
from tokentui.core.query import token_kind
from tokentui.core.self_rotation import SaveCredential, SelfRotation
from tokentui.core.session import UsageError
from tokentui.gitlab.client import CreateTokenRequest, GitLabClient
from tokentui.gitlab.deploy_tokens import CreateDeployTokenRequest
from tokentui.gitlab.errors import (
    GitLabError,
    NotFound,
    TransportError,
    Unauthorized,
)
from tokentui.gitlab.models import Token, TokenKind, User
from tokentui.gitlab.sources import (
    DeployTokens,
    GroupTokens,
    ImpersonationTokens,
    PersonalTokens,
    ProjectTokens,
    ServiceAccountTokens,
    TokenSource,
)
from tokentui.gitlab.terminal_text import clean
from tokentui.tui.widgets.detail import TokenDetail
from tokentui.tui.widgets.token_table import RowContext, TokenTable

if TYPE_CHECKING:
    from textual.screen import Screen

    from tokentui.core.identify import Identity
    from tokentui.core.store import TokenStore
    from tokentui.tui.screens.create import CreateWizard
    from tokentui.tui.screens.identify import IdentifyRequest
    from tokentui.tui.screens.source_picker import SourcePicker


class ActionsHost(Protocol):
    """What the actions need of the app they serve (``TokenApp`` is one)."""

    client: GitLabClient
    store: TokenStore
    viewer: User | None
    self_token: Token | None
    clock: Clock
    demo: bool
    save_credential: SaveCredential | None
    credential_origin: str | None
    profile_name: str | None
    user_names: dict[int, str]
    row_context: RowContext

    @property
    def screen(self) -> Screen[object]:
        """The screen on top."""
        ...

    @property
    def screen_stack(self) -> list[Screen[Any]]:
        """Every screen, bottom first."""
        ...

    def want_user_names(self, tokens: Iterable[Token]) -> None:
        """Look up the owners' names of ``tokens`` (the dialogs follow when they land)."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast."""
        ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any:
        """Push a screen (a dialog), with a callback for its result."""
        ...

    def run_worker(
        self,
        work: Coroutine[Any, Any, None],
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
    ) -> Any:
        """Run ``work`` in an App-level worker."""
        ...


#: Worker groups (one per kind of action, so they never cancel each other).
GROUP_CREATE = "token-create"
GROUP_ROTATE = "token-rotate"
GROUP_REVOKE = "token-revoke"
GROUP_SOURCE = "token-source"
GROUP_COMPLETE = "source-complete"
GROUP_IDENTIFY = "token-identify"

NO_SELECTION = "No token selected: move to a token in the list first."


def _quoted(token: Token) -> str:
    return f"“{clean(token.name)}”"


class TokenActions:
    """Actions on tokens, bound to one running app (see :class:`ActionsHost`)."""

    def __init__(self, app: ActionsHost) -> None:
        self.app = app

    # -- shared facts ---------------------------------------------------------------------
    @property
    def source(self) -> TokenSource | None:
        """The source the list shows."""
        return self.app.store.source

    def source_of(self, token: Token) -> TokenSource | None:
        """The source whose endpoints act on ``token``: the list it was read from when the
        list on screen mixes kinds (the everything scan places each row), else the list's."""
        return self.app.row_context.ownership.row_source(token, self.source)

    @property
    def viewer(self) -> User:
        """Who is signed in (the actions run only once the app knows)."""
        viewer = self.app.viewer
        assert viewer is not None, "no viewer yet"
        return viewer

    def is_in_use(self, token: Token) -> bool:
        """True for the token tokentui itself authenticates with."""
        self_token = self.app.self_token
        return self_token is not None and self_token.key == token.key

    def _operations(self) -> Operations:
        """The operations layer for this session's client and credential."""
        self_token = self.app.self_token
        return Operations(
            self.app.client,
            save=self.app.save_credential,
            in_use_id=self_token.id if self_token is not None else None,
            clock=self.app.clock,
        )

    def user_label(self, user_id: int) -> str:
        """``alice (user 2)``, ``root (you, user 1)`` or ``user 7`` when the name is unknown."""
        viewer = self.viewer
        if viewer is not None and user_id == viewer.id:
            return f"{clean(viewer.username)} (you, user {user_id})"
        name = self.app.user_names.get(user_id)
        return f"{clean(name)} (user {user_id})" if name else f"user {user_id}"

    def owner_label(self, token: Token) -> str:
        """Who owns ``token``, as the app knows it (``alice (user 2)``)."""
        resource = self.app.row_context.ownership.resource(token, self.source)
        if resource is not None:
            # A project or group token belongs to its resource (its owner is a bot user).
            return clean(resource.label)
        source = self.source
        if isinstance(source, ProjectTokens | GroupTokens):
            return f"bot user {token.user_id} of {clean(source.label)}"
        if token.user_id is None:
            return "unknown"
        return self.user_label(token.user_id)

    def _describer(self, token: Token) -> Callable[[], tuple[str, str]]:
        """For a dialog about ``token``: its owner and kind as known when asked (a lookup
        still on its way is started now, and the dialog follows when it lands)."""
        self.app.want_user_names([token])
        return lambda: (self.owner_label(token), self.kind_label(token))

    def kind_label(self, token: Token) -> str:
        """The token's kind in words (as the table says it, when the app has one)."""
        if self.app.row_context is not None:
            return self.app.row_context.kind_label(token)
        source = self.source
        return token_kind(token, source.kind if source else TokenKind.PERSONAL).label

    # -- refusals (also usable from ``check_action``) ---------------------------------------
    def create_refusal(self) -> str | None:
        """Why ``n`` cannot apply to the current source, or None."""
        source = self.source
        if source is None:
            return "No token source yet: pick one with t."
        if isinstance(source, Everything):
            return (
                "A new token belongs to one place: pick your own tokens, a project, a group or "
                "a service account with t, then press n."
            )
        viewer = self.viewer
        if self._asks_for_user(source):
            return None
        if source.create_route(viewer_is_admin=viewer.is_admin) is not None:
            return None
        if isinstance(source, ImpersonationTokens):
            return "Only an administrator can create impersonation tokens."
        if isinstance(source, PersonalTokens) and source.user_id is None:
            return "Only an administrator can create tokens for other users."
        return (
            f"tokentui cannot create tokens in {clean(source.label)}: only an administrator can "
            "create a token for another user. Switch to your own tokens with t."
        )

    def rotate_refusal(self, token: Token | None) -> str | None:
        """Why ``r`` cannot apply to ``token``, or None."""
        if token is None:
            return NO_SELECTION
        source = self.source_of(token)
        if token.is_deploy:
            return (
                f"{_quoted(token)} is a deploy token: GitLab cannot rotate deploy tokens. "
                "Create a new one in its project or group, then revoke this one."
            )
        if source is not None and not source.can_rotate:
            return f"Tokens in {clean(source.label)} cannot be rotated through the API."
        state = token_state(token, self.app.clock())
        if state == "revoked":
            return (
                f"{_quoted(token)} is revoked: a revoked token cannot be rotated. "
                "Create a new one with n."
            )
        if state == "expired":
            expired = token.expires_at.isoformat() if token.expires_at else "already"
            return (
                f"{_quoted(token)} expired ({expired}): tokentui rotates only active tokens. "
                "Create a new one with n, with the scopes shown in the detail pane."
            )
        return None

    def revoke_refusal(self, token: Token | None) -> str | None:
        """Why ``d`` cannot apply to ``token``, or None."""
        if token is None:
            return NO_SELECTION
        if token.revoked:
            return f"{_quoted(token)} is already revoked."
        return None

    def recreate_target(self, token: Token | None) -> tuple[TokenSource | None, str | None]:
        """Where ``c`` would recreate ``token`` (the source it belongs to), or why it cannot:
        only an expired or revoked token is recreated (an active one is rotated), and the
        wizard makes access tokens only."""
        if token is None:
            return None, NO_SELECTION
        state = token_state(token, self.app.clock())
        if token.is_deploy:
            if state == "active":
                return None, (
                    f"{_quoted(token)} is active: r creates a successor with its settings "
                    "(GitLab cannot rotate deploy tokens). c recreates expired ones."
                )
            return self._deploy_source(token), None
        if state == "active":
            return None, (
                f"{_quoted(token)} is active: rotate it with r instead (same settings, a new "
                "value, the old one revoked). c recreates expired or revoked tokens."
            )
        source = self._home_source(token)
        if source is None:
            return None, (
                f"tokentui does not know yet which list {_quoted(token)} belongs to (its owner "
                "is being looked up): try again in a moment, or pick its source with t."
            )
        viewer = self.viewer
        if source.create_route(viewer_is_admin=viewer.is_admin) is None:
            return None, (
                f"tokentui cannot create tokens in {clean(source.label)} for you: "
                "GitLab lets only an administrator create a token for another user."
            )
        return source, None

    def _home_source(self, token: Token) -> TokenSource | None:
        """The list ``token`` belongs to: the one shown, unless that is every user's tokens
        (then the token's owner's, by its kind)."""
        source = self.source
        if source is not None and not (
            isinstance(source, PersonalTokens) and source.user_id is None
        ):
            return source
        resource = self.app.row_context.ownership.resource(token, source)
        kind = self.app.row_context.kind(token)
        if kind is TokenKind.PROJECT and resource is not None:
            return ProjectTokens(resource=resource.path or str(resource.id))
        if kind is TokenKind.GROUP and resource is not None:
            return GroupTokens(resource=resource.path or str(resource.id))
        if token.user_id is None:
            return None
        if kind is TokenKind.IMPERSONATION:
            return ImpersonationTokens(user_id=token.user_id)
        if kind is TokenKind.PERSONAL:
            return PersonalTokens(user_id=token.user_id, mine=token.user_id == self.viewer.id)
        if kind is TokenKind.SERVICE_ACCOUNT:
            info = self.app.row_context.ownership.owner(token.user_id)
            group = info.user.provisioned_by_group_id if info and info.user else None
            if group is not None:
                return ServiceAccountTokens(group=str(group), user_id=token.user_id)
        return None

    def refusal(self, action: str, token: Token | None = None) -> str | None:
        """Why ``action`` (``new_token``, ``rotate``, ``revoke``, ``recreate``) cannot apply
        now, or None.

        For the app's ``check_action`` and the command palette; other actions always apply.
        """
        if action == "new_token":
            return self.create_refusal()
        if action == "rotate":
            return self.rotate_refusal(token)
        if action == "revoke":
            return self.revoke_refusal(token)
        if action == "recreate":
            return self.recreate_target(token)[1]
        return None

    def _refuse(self, reason: str) -> None:
        self.app.notify(reason, title="Not possible", severity="warning", markup=False)

    def _asks_for_user(self, source: TokenSource) -> bool:
        """For an admin's list of every user's tokens, the wizard first asks for whom."""
        return (
            isinstance(source, PersonalTokens) and source.user_id is None and self.viewer.is_admin
        )

    def _run(self, work: Coroutine[Any, Any, None], *, group: str, name: str) -> None:
        self.app.run_worker(work, name=name, group=group, exit_on_error=False)

    # -- create ---------------------------------------------------------------------------
    def new_token(self) -> None:
        """``n``: open the create wizard for the current source."""

        reason = self.create_refusal()
        if reason:
            self._refuse(reason)
            return
        source = self.source
        assert source is not None
        self._open_wizard(source, ask_user=self._asks_for_user(source))

    def recreate(self, token: Token | None) -> None:
        """``c``: the create wizard for ``token``'s source, filled with its name, description,
        scopes and access level (the expiry is the wizard's default); GitLab cannot rotate an
        expired or revoked token, so this is how one comes back."""
        from tokentui.tui.screens.create import WizardPrefill

        source, reason = self.recreate_target(token)
        if reason or source is None or token is None:
            self._refuse(reason or NO_SELECTION)
            return
        if token.is_deploy:  # its name, username and scopes, a new expiry
            self._offer_successor(token, recreate=True)
            return
        viewer = self.viewer
        route = source.create_route(viewer_is_admin=viewer.is_admin)
        assert route is not None  # recreate_target checked it
        dropped = [s for s in token.scopes if s not in route.scopes]
        if dropped:
            self.app.notify(
                f"GitLab's API cannot create {', '.join(clean(s) for s in dropped)} here; "
                "the wizard leaves them out (its scopes step says where they can be made).",
                title="Recreate",
                severity="warning",
                markup=False,
                timeout=10,
            )
        self._open_wizard(
            source,
            prefill=WizardPrefill(
                name=token.name,
                description=token.description,
                scopes=tuple(s for s in token.scopes if s in route.scopes),
                access_level=token.access_level,
                recreates=f"“{token.name}” (token {token.id})",
            ),
        )

    def _open_wizard(self, source: TokenSource, **options: Any) -> None:
        """The create wizard for ``source`` (``options``: the wizard's ``ask_user``,
        ``prefill``)."""
        from tokentui.tui.screens.create import CreateWizard

        viewer = self.viewer
        self.app.push_screen(
            CreateWizard(
                source=source,
                viewer_id=viewer.id,
                viewer_is_admin=viewer.is_admin,
                today=today_of(self.app.clock),
                base_url=self.app.client.base_url,
                on_submit=self._submit_create,
                describe_user=self.user_label,
                **options,
            )
        )

    def _submit_create(
        self,
        wizard: CreateWizard,
        source: TokenSource,
        request: CreateTokenRequest | CreateDeployTokenRequest,
    ) -> None:
        self._run(self._create(wizard, source, request), group=GROUP_CREATE, name="Create")

    async def _create(
        self,
        wizard: CreateWizard,
        source: TokenSource,
        request: CreateTokenRequest | CreateDeployTokenRequest,
    ) -> None:
        from tokentui.tui.screens.reveal import RevealScreen

        if isinstance(request, CreateDeployTokenRequest):
            assert isinstance(source, DeployTokens)
            outcome = await create_deploy_token(self._operations(), source, request)
        else:
            outcome = await self._operations().create(
                source, request, viewer_is_admin=self.viewer.is_admin
            )
        if outcome.status is Status.UNKNOWN:
            wizard.dismiss(None)
            self._show_verdict(outcome, expires_at=None)
            return
        err = outcome.error
        if isinstance(err, Unauthorized):
            wizard.set_busy(False)
            raise err
        if isinstance(err, TransportError):
            wizard.show_server_error(err, hint="check the connection, then ctrl+n to try again")
            return
        if outcome.status is Status.REFUSED:
            wizard.show_server_error(err or GitLabError(outcome.reason or "not created"))
            return
        new = outcome.new_token
        assert new is not None
        self.app.store.apply_created(new.public())
        self._select(new.key)
        wizard.dismiss(None)
        self.app.push_screen(
            RevealScreen(
                new,
                heading=f"Created {source.kind.label} token “{clean(new.name)}”",
                details=_new_token_details(new),
            )
        )

    # -- rotate ---------------------------------------------------------------------------
    def rotate(self, token: Token | None) -> None:
        """``r``: confirm, rotate, then reveal the new value once."""
        from tokentui.tui.screens.confirm import RotateDialog

        if token is not None and token.is_deploy and not token.revoked:
            self._offer_successor(token)  # GitLab cannot rotate deploy tokens
            return
        reason = self.rotate_refusal(token)
        if reason:
            self._refuse(reason)
            return
        assert token is not None
        in_use = self.is_in_use(token)

        def confirmed(expires_at: date | None) -> None:
            if expires_at is None:
                return
            self._run(
                self._rotate(token, expires_at),
                group=GROUP_ROTATE,
                name="Rotate",
            )

        self.app.push_screen(
            RotateDialog(
                token,
                now=self.app.clock(),
                owner=self.owner_label(token),
                kind=self.kind_label(token),
                in_use=in_use,
                describe=self._describer(token),
            ),
            confirmed,
        )

    async def _rotate(self, token: Token, expires_at: date) -> None:
        from tokentui.tui.screens.reveal import RevealScreen

        source = self.source_of(token)
        assert source is not None
        warning: str | None = None
        advice: str | None = None
        # The layer's pre-flight stops a credential rotated elsewhere before any rotate request
        # (its 401 goes to the unauthorized screen); the token in use rotates itself.
        [outcome] = await self._operations().rotate(source, token, expires_at=expires_at)
        if not self._settled(outcome, expires_at=expires_at):
            return
        new = outcome.new_token
        assert new is not None
        if outcome.self_rotation is not None:
            result = outcome.self_rotation
            self.app.self_token = new.public()  # the table and detail pane mark it by id
            saving = self.app.save_credential is not None
            warning = _self_rotation_warning(result, saving=saving, demo=self.app.demo)
            advice = self_rotation_advice(
                result, saving=saving, demo=self.app.demo, place=self.credential_place()
            )
        self.app.store.apply_rotated(token.key, new.public())
        self._select(new.key)
        if outcome.self_rotation is None:
            from tokentui.core.delivery import deliver_rotated

            report = await deliver_rotated(self.app.client, token.id, new)
            if report is not None and report.landed:
                self.app.notify(
                    f"Rotated {_quoted(new)}: {report.message}. The value was not shown.",
                    title="Delivered",
                    markup=False,
                )
                return
            if report is not None:
                warning = (
                    f"{report.message}. This is the only time the value is shown: put it "
                    "there by hand."
                )
        self.app.push_screen(
            RevealScreen(
                new,
                heading=f"Rotated “{clean(new.name)}”: the old value no longer works",
                warning=warning,
                details=_new_token_details(new),
                advice=advice,
            )
        )

    def _offer_successor(self, token: Token, *, recreate: bool = False) -> None:
        """``r`` on a deploy token: say GitLab cannot rotate it and offer a successor (same
        name, username and scopes, a new expiry); the old one stays until revoked."""
        from tokentui.tui.screens.successor import SuccessorDialog

        def chosen(answer: tuple[bool, date | None] | None) -> None:
            if answer is not None:
                self._run(self._successor(token, answer[1]), group=GROUP_CREATE, name="Successor")

        dialog = SuccessorDialog(token, today=today_of(self.app.clock), recreate=recreate)
        self.app.push_screen(dialog, chosen)

    async def _successor(self, old: Token, expires_at: date | None) -> None:
        from tokentui.tui.screens.reveal import RevealScreen

        source = self._deploy_source(old)
        request = successor_request(old, expires_at)
        outcome = await create_deploy_token(self._operations(), source, request)
        if not self._settled(outcome, expires_at=None):
            return
        new = outcome.new_token
        assert new is not None
        self.app.store.apply_created(new.public())
        self._select(new.key)
        if token_state(old, self.app.clock()) == "active":
            heading = f"Created “{clean(new.name)}”, successor of deploy token {old.id}"
            warning: str | None = (
                f"Deploy token {old.id} still works: revoke it (d) once nothing uses it."
            )
        else:  # recreated (c): the old one no longer works
            heading = f"Created “{clean(new.name)}”, recreating deploy token {old.id}"
            warning = None
        self.app.push_screen(
            RevealScreen(new, heading=heading, details=_new_token_details(new), warning=warning)
        )

    def _deploy_source(self, token: Token) -> DeployTokens:
        """The deploy-token list ``token`` (a deploy row) belongs to: the current source, or
        its project's or group's (a list that mixes kinds)."""
        source = self.source
        if isinstance(source, DeployTokens):
            return source
        if token.resource_type == "group":
            return DeployTokens(resource_type="group", resource=str(token.resource_id))
        return DeployTokens(resource_type="project", resource=str(token.resource_id))

    def credential_place(self) -> str | None:
        """Where this session's credential is kept, in words (None: unknown or nowhere)."""
        origin = self.app.credential_origin
        profile = self.app.profile_name
        if origin == "keyring":
            return "the system keyring" + (f" (profile “{clean(profile)}”)" if profile else "")
        if origin == "file":
            from tokentui.core.credentials import credentials_path

            named = f", profile “{clean(profile)}”" if profile else ""
            return f"{credentials_path()} (mode 0600{named})"
        return None

    def _select(self, key: int) -> None:
        """Put the list's cursor (and detail pane) on the token with :attr:`Token.key` ``key``
        where a screen shows the token list (its ``table`` and ``detail``)."""
        for screen in self.app.screen_stack:
            table, detail = getattr(screen, "table", None), getattr(screen, "detail", None)
            if not isinstance(table, TokenTable) or not isinstance(detail, TokenDetail):
                continue
            if table.select_token(key):
                detail.show(table.cursor_token)

    # -- revoke ---------------------------------------------------------------------------
    def revoke(self, token: Token | None) -> None:
        """``d``/``delete``: confirm, then revoke."""
        from tokentui.tui.screens.confirm import RevokeDialog

        reason = self.revoke_refusal(token)
        if reason:
            self._refuse(reason)
            return
        assert token is not None

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(self._revoke(token), group=GROUP_REVOKE, name="Revoke")

        self.app.push_screen(
            RevokeDialog(
                token,
                now=self.app.clock(),
                owner=self.owner_label(token),
                kind=self.kind_label(token),
                in_use=self.is_in_use(token),
                describe=self._describer(token),
            ),
            confirmed,
        )

    async def _revoke(self, token: Token) -> None:
        source = self.source_of(token)
        assert source is not None
        if token.is_deploy and not isinstance(source, DeployTokens):
            source = self._deploy_source(token)
        # The dialog asked, saying so when it is the token in use: the explicit ask.
        [outcome] = await self._operations().revoke(source, token, allow_in_use=True)
        if not self._settled(outcome, expires_at=None):
            return
        self.app.store.apply_revoked(token.key)
        done = f"Revoked {_quoted(token)}."
        if token.is_deploy:
            done += " GitLab deleted it: it leaves the list at the next reload."
        self.app.notify(done, title="Revoked", markup=False)

    def _settled(self, outcome: Outcome, *, expires_at: date | None) -> bool:
        """True for a done write. A lost answer shows what the read-back found; a refusal by
        tokentui is said; GitLab's (or the transport's) error is re-raised for the app's one
        worker-error handler."""
        if outcome.status is Status.DONE:
            return True
        if outcome.status is Status.UNKNOWN:
            self._show_verdict(outcome, expires_at=expires_at)
        elif outcome.error is not None:
            raise outcome.error
        else:
            self._refuse(outcome.reason or "Not done.")
        return False

    # -- many: the marked tokens (tokentui/tui/bulk.py) --------------------------------------
    def rotate_marked(self) -> None:
        """``r`` with marks: the expiry choice, the preview, then the batch and its results."""
        from tokentui.tui.bulk import BulkActions

        BulkActions(self).rotate_marked()

    def revoke_marked(self) -> None:
        """``d`` with marks: the preview, then the batch and its results."""
        from tokentui.tui.bulk import BulkActions

        BulkActions(self).revoke_marked()

    # What BulkActions uses (its ``BulkHost``).
    def operations(self) -> Operations:
        """The operations layer for this session's client and credential."""
        return self._operations()

    def run(self, work: Coroutine[Any, Any, None], *, group: str, name: str) -> None:
        """Run ``work`` in an App-level worker."""
        self._run(work, group=group, name=name)

    def refuse(self, reason: str) -> None:
        """Say why something cannot be done."""
        self._refuse(reason)

    def rotation_warning(self, result: SelfRotation) -> str | None:
        """The loud warning of a self-rotation whose value was not stored or checked."""
        saving = self.app.save_credential is not None
        return _self_rotation_warning(result, saving=saving, demo=self.app.demo)

    # -- a write whose answer was lost ----------------------------------------------------
    def _show_verdict(self, outcome: Outcome, *, expires_at: date | None) -> None:
        """Show what the read-back found; when a rotate's new value was lost, offer to rotate
        its successor in one step (the normal rotate, to ``expires_at``, which reveals the
        value). The list reloads to show the server's state, unless the credential itself is
        dead (the next request shows the sign-in screen)."""
        from tokentui.tui.screens.outcome import OutcomeDialog

        verdict = outcome.verdict
        assert verdict is not None
        if not verdict.credential_dead:
            self.app.store.reload()
        successor = verdict.successor

        def chosen(rotate_now: bool | None) -> None:
            if rotate_now and successor is not None and expires_at is not None:
                self._run(self._rotate(successor, expires_at), group=GROUP_ROTATE, name="Rotate")

        lost = outcome.error.message if outcome.error is not None else verdict.text
        self.app.push_screen(OutcomeDialog(verdict, lost=lost), chosen)

    # -- source ---------------------------------------------------------------------------
    def pick_source(self) -> None:
        """``t``: choose another token source."""
        from tokentui.tui.screens.source_picker import SourcePicker

        self.app.push_screen(
            SourcePicker(
                current=self.source,
                viewer_is_admin=self.viewer.is_admin,
                on_submit=self._submit_source,
                on_list_accounts=self._submit_list_accounts,
                on_complete=self._submit_complete,
            )
        )

    def _submit_complete(self, picker: SourcePicker, choice: str, query: str) -> None:
        # A newer query cancels the one in flight (exclusive in its own group).
        self.app.run_worker(
            self._complete(picker, choice, query),
            name="Complete source",
            group=GROUP_COMPLETE,
            exclusive=True,
            exit_on_error=False,
        )

    async def _complete(self, picker: SourcePicker, choice: str, query: str) -> None:
        from tokentui.core.source_search import suggestions

        try:
            found = await suggestions(
                self.app.client, choice, query, viewer_is_admin=self.viewer.is_admin
            )
        except Unauthorized:
            raise
        except GitLabError:
            found = []  # completion is a help: the typed value can still be checked
        if picker in self.app.screen_stack:
            picker.show_suggestions(choice, query, found)

    def _submit_source(self, picker: SourcePicker, choice: str, value: str | None) -> None:
        self._run(
            self._check_source(picker, choice, value), group=GROUP_SOURCE, name="Switch source"
        )

    def _submit_list_accounts(self, picker: SourcePicker, group: str) -> None:
        self._run(
            self._list_accounts(picker, group), group=GROUP_SOURCE, name="List service accounts"
        )

    async def _check_source(self, picker: SourcePicker, choice: str, value: str | None) -> None:
        source, problem = await self._checked_source(choice, value)
        if picker not in self.app.screen_stack:
            return  # closed while the check ran: keep the current source
        if source is None:
            picker.show_error(problem)
            return
        picker.dismiss(None)
        self.app.store.set_source(source)
        self.app.notify(f"Showing {clean(source.label)}.", title="Token source", markup=False)

    async def _checked_source(
        self, choice: str, value: str | None
    ) -> tuple[TokenSource | None, str | None]:
        """The source a picker choice names, checked on the server; else why not.

        A 401 is raised (the app's handler shows the credential screen).
        """
        viewer = self.viewer
        client = self.app.client
        try:
            value = await self._ids_for_names(choice, value)
        except LookupError as err:
            return None, str(err)
        except Unauthorized:
            raise
        except GitLabError as err:
            return None, err.message
        try:
            source = resolve_choice(
                choice, value, viewer_id=viewer.id, viewer_is_admin=viewer.is_admin
            )
        except ValueError as err:
            return None, str(err).replace(f"--{choice} takes", f"{choice} needs")
        try:
            if isinstance(source, ProjectTokens):
                project = await client.get_project(source.resource)
                source = ProjectTokens(resource=project.path_with_namespace)
            elif isinstance(source, GroupTokens):
                group = await client.get_group(source.resource)
                source = GroupTokens(resource=group.full_path)
            elif isinstance(source, DeployTokens):
                if source.resource_type == "project":
                    found = (await client.get_project(source.resource)).path_with_namespace
                else:
                    found = (await client.get_group(source.resource)).full_path
                source = DeployTokens(resource_type=source.resource_type, resource=found)
            elif isinstance(source, ImpersonationTokens | PersonalTokens):
                user_id = source.user_id
                other = isinstance(source, ImpersonationTokens) or user_id != viewer.id
                if user_id is not None and other:
                    await client.get_user(user_id)
        except NotFound:
            return None, _not_found_text(choice, value or "")
        except Unauthorized:
            raise
        except GitLabError as err:
            return None, err.message
        return source, None

    async def _ids_for_names(self, choice: str, value: str | None) -> str | None:
        """``value`` with a username in place of a user id (``alice`` -> ``2``, ``platform:
        svc-bot`` -> ``platform:8``); project and group paths go to GitLab as they are.

        Raises ``LookupError`` with a user-ready message when there is no such user.
        """
        try:
            named = await source_names.ids_for_names(self.app.client, (choice, value))
        except source_names.UnknownName as err:
            if err.what == "group":
                raise LookupError(
                    f"There is no group {err.name!r} (or you cannot see it)."
                ) from None
            if err.what == "service account":
                raise LookupError(
                    f"Group {err.group} has no service account {err.name!r}."
                ) from None
            raise LookupError(
                f"There is no user {err.name!r} (or you cannot see them): "
                "type a username, e.g. alice, and pick from the list."
            ) from None
        except UsageError as err:  # not a name at all (``bob smith``)
            raise LookupError(str(err).replace(f"--{choice} takes", f"{choice} needs")) from None
        return named[1] if named is not None else value

    async def _list_accounts(self, picker: SourcePicker, group: str) -> None:
        try:
            accounts = await self.app.client.list_service_accounts(group)
        except Unauthorized:
            raise
        except GitLabError as err:
            if picker in self.app.screen_stack:
                if isinstance(err, NotFound):
                    picker.show_error(f"There is no group {group!r} (or you cannot see it).")
                else:
                    picker.show_error(err.message)
            return
        if picker in self.app.screen_stack:
            picker.show_accounts(group, accounts)

    # -- identify (leak response) ---------------------------------------------------------
    def identify(self) -> None:
        """``i``: paste a value, see what it is, revoke it with the deliberate key."""
        from tokentui.tui.screens.identify import IdentifyScreen

        def chosen(request: IdentifyRequest | None) -> None:
            if request is not None:
                self._run(self._revoke_identified(request), group=GROUP_IDENTIFY, name="Revoke")

        self.app.push_screen(IdentifyScreen(self._look_up_value), chosen)

    async def _look_up_value(self, value: SecretStr) -> Identity:
        from tokentui.core.identify import identify

        client = self.app.client
        return await identify(value, client_for=client.with_credential, configured=client)

    async def _revoke_identified(self, request: IdentifyRequest) -> None:
        token = request.identity.token
        if token is not None and self.is_in_use(token):
            self._refuse(
                "That value is the token tokentui itself uses: revoking it locks this session "
                "out. Revoke it from the list (d), whose dialog says so."
            )
            return
        from tokentui.core.identify import revoke as revoke_value

        client = self.app.client
        result = await revoke_value(
            request.identity, request.value, client_for=client.with_credential, configured=client
        )
        if result.done:
            if token is not None:
                self.app.store.apply_revoked(token.id)
            self.app.notify(f"Revoked {result.how}.", title="Revoked", markup=False)
            return
        what = "The answer was lost" if result.unknown else "Not revoked"
        tried = " ".join(clean(line) + "." for line in result.tried)
        self.app.notify(
            f"{what}: {clean(result.how)}. {tried}".strip(),
            title="Revoke",
            severity="error",
            timeout=20,
            markup=False,
        )

    # -- help -----------------------------------------------------------------------------
    def show_help(self) -> None:
        """``?``: every binding of the current screen."""
        from tokentui.tui.screens.help import HelpScreen, help_sections

        own, general = help_sections(self.app.screen)
        self.app.push_screen(HelpScreen(own, title="Keys on this screen", general=general))


def _not_found_text(choice: str, value: str) -> str:
    choice = choice.removesuffix("-deploy")
    if choice == "project":
        return (
            f"There is no project {value!r} (or you cannot see it): "
            "use its full path, e.g. platform/api."
        )
    if choice == "group":
        return (
            f"There is no group {value!r} (or you cannot see it): "
            "use its full path, e.g. platform/infra."
        )
    if value.strip().isdigit():
        return f"There is no user with id {value.strip()} (or you cannot see them)."
    return f"There is no user {value!r} (or you cannot see them)."


def _new_token_details(new: Token) -> str:
    expires = new.expires_at.isoformat() if new.expires_at else "never"
    scopes = clean(", ".join(new.scopes)) or "none"
    details = f"Scopes: {scopes} · expires {expires} (00:00 UTC)"
    if new.username:  # a deploy token: git and the registry log in with both
        details = f"Username: {clean(new.username)} · {details}"
    return details


def self_rotation_advice(
    result: SelfRotation, *, saving: bool, demo: bool, place: str | None
) -> str:
    """What the reveal screen says after tokentui rotated its own credential: where the new
    value went (``place``: the keyring and profile, or the 0600 file), or why it went nowhere
    and what the user must do."""
    if demo:
        return (
            "The demo stores no credential: this session uses the new value until you quit. "
            "With a profile, tokentui stores it where the old one was (keyring or 0600 file); "
            "with GITLAB_TOKEN, you update the variable."
        )
    if not saving:
        return (
            "tokentui did not store it: this session's token came from GITLAB_TOKEN, which "
            "tokentui cannot change. Copy the value now and update GITLAB_TOKEN wherever it is "
            "set (shell profile, CI variable, secret store); this session already uses it."
        )
    if result.stored:
        where = f"in {place}" if place else "where the old one was"
        return (
            f"tokentui stored the new value {where} and uses it from now on. This is the "
            "only time GitLab shows it: copy it only if something else uses this token too."
        )
    return "This is the only time GitLab shows this value: copy it now."


def _self_rotation_warning(result: SelfRotation, *, saving: bool, demo: bool) -> str | None:
    """The loud warning of a self-rotation whose new value was not saved or verified.

    ``saving`` is False when the session has nowhere to save a credential (the demo, or a
    token from ``GITLAB_TOKEN``).
    """
    if not saving:
        if demo:
            return None
        return (
            "NOT SAVED: this session's token came from GITLAB_TOKEN, not a profile. Copy the "
            "new value now and put it where GITLAB_TOKEN comes from; the old value no longer "
            "works."
        )
    if result.store_error or not result.stored:
        reason = result.store_error or "unknown error"
        return (
            f"NOT SAVED: tokentui could not store the new value ({reason}). Copy it now and "
            "save it yourself (tokentui auth login); the old value no longer works."
        )
    if not result.verified and result.verify_error:
        return f"Saved, but checking the new value failed: {result.verify_error}"
    return None
