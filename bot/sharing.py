"""Share requests: widening a team's item to a department above it, or to the whole organisation.

    drafted (by the bot, for the item's owner) --Send--> pending --> approved | declined | expired
    drafted --Not now--> declined ("Not now")

Who may ask: the item's owner, its team's supervisors, learning managers (`access.may_request_share`).
Who decides: `access.share_approvers(target)`, each told by DM with the item, its usage, the deadline
and Approve / Decline. Approving widens `LibraryItem.audience_id` at once (the change log makes every
process follow). Approvers are reminded once at half the deadline; past it, the request expires (a
decline with a reason) and the requester is told. The bot drafts a request itself when a team's item
keeps answering other teams (DRAFT_TEAMS teams within DRAFT_WINDOW), never while one is open and not
within DRAFT_QUIET of the last decision on that item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import access, teams
from bot.config import Settings
from bot.idempotency import first_time
from bot.outbox import enqueue, enqueue_new
from bot.refusal import Refusal
from bot.search.changes import ITEM, note_change
from store.models import (Feedback, ItemState, LibraryItem, OutboxMessage, Question, ShareRequest, ShareStatus, Team,
                          TeamMember, TeamRole)

SHARE_ASK = "share_ask"  # each approver's DM: Approve / Decline
SHARE_REMINDER = "share_reminder"  # each approver's DM at half the deadline, once
SHARE_DRAFTED = "share_drafted"  # the owner's DM: the bot drafted a request; Send / Not now
SHARE_DECIDED = "share_decided"  # the requester's DM: approved, declined (why) or expired
SHARE_CLOSED = "share_closed"  # chat.update of an earlier DM about the request, so no button lingers
DMS = (SHARE_ASK, SHARE_REMINDER, SHARE_DRAFTED)  # the DMs with buttons, updated when a request moves on

OPEN = (ShareStatus.DRAFTED, ShareStatus.PENDING)
MAX_NOTE = 500
MAX_REASON = 500
ORGANISATION = "the whole organisation"
DRAFT_TEAMS = 2  # helpful answers to askers in this many teams outside the item's audience ...
DRAFT_WINDOW = timedelta(days=30)  # ... within this long: the bot drafts a share request
DRAFT_QUIET = timedelta(days=30)  # and not again this soon after the last decision on the item
NOT_NOW = "Not now"
TEAM_ITEMS_SHOWN = 10


@dataclass(frozen=True)
class Usage:
    """How much an item answered: questions it helped (a helpful verdict or an accepted offer), and from
    how many teams they came."""

    answered: int
    teams: int


def usage(session: Session, item_id: int, since: datetime | None = None) -> Usage:
    helpful = select(Feedback.question_id).where(Feedback.item_id == item_id, Feedback.helpful.is_(True))
    if since is not None:
        helpful = helpful.where(Feedback.created_at >= since)
    answered = session.scalar(helpful.with_only_columns(func.count(func.distinct(Feedback.question_id)))) or 0
    from_teams = session.scalar(select(func.count(func.distinct(Question.team_id))).where(
        Question.id.in_(helpful), Question.team_id.is_not(None))) or 0
    return Usage(answered, from_teams)


def _item(session: Session, item_id: int) -> LibraryItem:
    item = session.get(LibraryItem, item_id)
    if item is None:
        raise Refusal("That item is no longer in the library.")
    return item


def targets(session: Session, item: LibraryItem) -> list[Team | None]:
    """Where a team's item may be shared: each department above its audience, nearest first, then the
    organisation (None). Empty for an item everyone sees already."""
    if item.audience_id is None:
        return []
    above: list[Team | None] = []
    team = session.get(Team, item.audience_id)
    while team is not None and team.parent_id is not None and len(above) < 50:
        team = session.get(Team, team.parent_id)
        if team is not None:
            above.append(team)
    return [*above, None]


def shareable(session: Session, settings: Settings, *, item_id: int,
              user_id: str) -> tuple[LibraryItem, list[Team | None]]:
    """The item and where `user_id` may ask to share it (the "Request to share with…" button and modal)."""
    item = _item(session, item_id)
    if item.audience_id is None:
        raise Refusal("Everyone in the organisation sees this item already.")
    access.require_may_request_share(session, settings, user_id, item)
    return item, targets(session, item)


def audience_name(session: Session, target_id: int | None) -> str:
    """A team's name, or "the whole organisation" for None."""
    return ORGANISATION if target_id is None else teams.team_names(session, [target_id]).get(target_id, "a team")


def _deadline(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(days=settings.share_days)


def _ask_approvers(session: Session, settings: Settings, request: ShareRequest, now: datetime, purpose: str) -> None:
    for approver in access.share_approvers(session, settings, request.target_id):
        enqueue(session, purpose, request.id, now, key=approver, args={"user": approver})


def request_share(session: Session, settings: Settings, now: datetime, *, item_id: int, user_id: str,
                  target_id: int | None, note: str = "") -> ShareRequest:
    """Ask to share the item with `target_id` (a department above its audience; None: everyone); the
    approvers are told; commits. Refused for anyone who may not ask, a target that is not above the
    item's audience, and when the same request is already waiting."""
    item, allowed = shareable(session, settings, item_id=item_id, user_id=user_id)
    if target_id not in [t.id if t else None for t in allowed]:
        raise Refusal("Choose a department above the item's team, or the whole organisation.")
    if len(note.strip()) > MAX_NOTE:
        raise Refusal(f"A note of at most {MAX_NOTE} characters, please.")
    waiting = session.scalar(select(ShareRequest).where(ShareRequest.item_id == item.id,
                                                        ShareRequest.target_id.is_(None) if target_id is None else
                                                        ShareRequest.target_id == target_id,
                                                        ShareRequest.status == ShareStatus.PENDING))
    if waiting is not None:
        raise Refusal(f"A request to share it with {audience_name(session, target_id)} is waiting for a decision "
                      f"already (until {waiting.deadline_at:%d %b %Y}).")
    found = usage(session, item.id)
    request = ShareRequest(item_id=item.id, requested_by=user_id, target_id=target_id, status=ShareStatus.PENDING,
                           evidence={"answered": found.answered, "teams": found.teams,
                                     **({"note": note.strip()} if note.strip() else {})},
                           created_at=now, deadline_at=_deadline(settings, now))
    session.add(request)
    session.flush()
    _ask_approvers(session, settings, request, now, SHARE_ASK)
    session.commit()
    return request


def _request(session: Session, request_id: int) -> ShareRequest:
    """The request, its row locked until the caller commits (on PostgreSQL: two approvers at once decide once)."""
    request = session.get(ShareRequest, request_id, with_for_update=True)
    if request is None:
        raise Refusal("I can't find that share request any more.")
    return request


def _still_pending(request: ShareRequest) -> None:
    """A Refusal saying what became of a request that is no longer pending (a double click, a second approver)."""
    if request.status == ShareStatus.PENDING:
        return
    who = f" by <@{request.decided_by}>" if request.decided_by else ""
    if request.status == ShareStatus.EXPIRED:
        raise Refusal("This request expired: nobody decided in time.")
    if request.status == ShareStatus.DRAFTED:
        raise Refusal("This request has not been sent yet.")
    raise Refusal(f"Already {request.status.value}{who}.")


def decidable(session: Session, settings: Settings, *, request_id: int, user_id: str) -> ShareRequest:
    """The pending request `user_id` may decide (Approve, and the Decline button and its modal)."""
    request = _request(session, request_id)
    _still_pending(request)
    if not access.may_decide_share(session, settings, user_id, request.target_id):
        raise Refusal("Only the target's supervisors or a learning manager can decide this request.")
    return request


def _covers(session: Session, wider: int | None, target: int | None) -> bool:
    """Whether sharing with `wider` reaches everyone sharing with `target` would."""
    return wider is None or (target is not None and target in teams.below(session, wider))


def _close(session: Session, request: ShareRequest, status: ShareStatus, now: datetime, *,
           by: str | None = None, reason: str | None = None, tell: bool = True) -> None:
    """Move the request on, update its DMs, tell the requester (unless not `tell`)."""
    request.status, request.decided_by, request.decided_at, request.reason = status, by, now, reason
    _update_dms(session, request, now)
    if tell:
        enqueue(session, SHARE_DECIDED, request.id, now, key=status.value, args={"user": request.requested_by})


def _update_dms(session: Session, request: ShareRequest, now: datetime) -> None:
    """A chat.update of every DM with buttons sent about the request, so none lingers (a DM not sent yet
    shows the new state when it is)."""
    sent = session.scalars(select(OutboxMessage).where(
        OutboxMessage.ref_id == request.id, OutboxMessage.purpose.in_(DMS), OutboxMessage.sent_at.is_not(None),
        OutboxMessage.result_ts.is_not(None)).order_by(OutboxMessage.id))
    for dm in sent:
        enqueue(session, SHARE_CLOSED, request.id, now, key=f"{dm.id}:{request.status.value}",
                args={"purpose": dm.purpose, "user": dm.args.get("user"), "channel": dm.result_channel,
                      "ts": dm.result_ts})


def approve(session: Session, settings: Settings, now: datetime, *, request_id: int, user_id: str) -> ShareRequest:
    """Widen the item's audience to the target at once; other open requests it covers are closed with it;
    commits. Refused if the target is no longer above the item's team (a team import moved it)."""
    request = decidable(session, settings, request_id=request_id, user_id=user_id)
    item = _item(session, request.item_id)
    if request.target_id not in [t.id for t in targets(session, item) if t is not None] + [None]:
        raise Refusal(f"{audience_name(session, item.audience_id)} is no longer under "
                      f"{audience_name(session, request.target_id)}: sharing with it would hide the item from its "
                      "own team. Decline it, and ask again if need be.")
    item.audience_id, item.updated_at = request.target_id, now
    note_change(session, ITEM, item.id, now)
    _close(session, request, ShareStatus.APPROVED, now, by=user_id)
    others = session.scalars(select(ShareRequest).where(
        ShareRequest.item_id == item.id, ShareRequest.id != request.id, ShareRequest.status.in_(OPEN)))
    for other in others:
        if _covers(session, request.target_id, other.target_id):
            _close(session, other, ShareStatus.APPROVED, now, by=user_id, reason=f"with request #{request.id}",
                   tell=other.status == ShareStatus.PENDING)  # a draft's owner never asked
    session.commit()
    return request


def decline(session: Session, settings: Settings, now: datetime, *, request_id: int, user_id: str,
            reason: str) -> ShareRequest:
    """Decline with a reason (required), told to the requester; the item keeps its audience; commits."""
    request = decidable(session, settings, request_id=request_id, user_id=user_id)
    reason = reason.strip()
    if not reason:
        raise Refusal("A reason, please: the requester will read it.")
    if len(reason) > MAX_REASON:
        raise Refusal(f"At most {MAX_REASON} characters, please.")
    _close(session, request, ShareStatus.DECLINED, now, by=user_id, reason=reason)
    session.commit()
    return request


def _drafted(session: Session, settings: Settings, *, request_id: int, user_id: str) -> ShareRequest:
    request = _request(session, request_id)
    if request.status == ShareStatus.APPROVED:
        raise Refusal("It is shared already.")
    if request.status == ShareStatus.DECLINED and request.reason == NOT_NOW:
        raise Refusal("This draft was put aside already.")
    if request.status != ShareStatus.DRAFTED:
        raise Refusal("This draft was sent already.")
    access.require_may_request_share(session, settings, user_id, _item(session, request.item_id))
    return request


def send_draft(session: Session, settings: Settings, now: datetime, *, request_id: int, user_id: str) -> ShareRequest:
    """"Send the request": the bot's draft becomes a pending request, as if `user_id` had made it; commits."""
    request = _drafted(session, settings, request_id=request_id, user_id=user_id)
    waiting = session.scalar(select(ShareRequest.id).where(ShareRequest.item_id == request.item_id,
                                                           ShareRequest.status == ShareStatus.PENDING))
    if waiting is not None:
        raise Refusal("A request to share this item is waiting for a decision already.")
    request.status, request.requested_by, request.deadline_at = ShareStatus.PENDING, user_id, _deadline(settings, now)
    _ask_approvers(session, settings, request, now, SHARE_ASK)
    _update_dms(session, request, now)  # the draft's Send / Not now go
    session.commit()
    return request


def not_now(session: Session, settings: Settings, now: datetime, *, request_id: int, user_id: str) -> ShareRequest:
    """"Not now": the draft is put aside; no new draft for the item within DRAFT_QUIET; commits."""
    request = _drafted(session, settings, request_id=request_id, user_id=user_id)
    _close(session, request, ShareStatus.DECLINED, now, by=user_id, reason=NOT_NOW, tell=False)
    session.commit()
    return request


@dataclass(frozen=True)
class ShareReport:
    reminded: int = 0
    expired: int = 0
    drafted: int = 0

    def summary(self) -> str:
        return (f"share requests: {self.reminded} reminded, {self.expired} expired, {self.drafted} drafted, ")


def sweep_shares(session: Session, settings: Settings, now: datetime) -> ShareReport:
    """What became due: reminders at half the deadline (once), expiry at the deadline, and, once a day,
    the bot's drafts; commits. Run twice, it does nothing twice."""
    half = timedelta(days=settings.share_days) / 2
    pending = list(session.scalars(select(ShareRequest).where(ShareRequest.status == ShareStatus.PENDING,
                                                              ShareRequest.deadline_at.is_not(None))
                                   .order_by(ShareRequest.id)))
    expired = reminded = 0
    for request in pending:
        if request.deadline_at <= now:
            _close(session, request, ShareStatus.EXPIRED, now,
                   reason=f"no decision within {settings.share_days} days")
            expired += 1
        elif request.reminded_at is None and request.deadline_at - half <= now:
            request.reminded_at = now
            _ask_approvers(session, settings, request, now, SHARE_REMINDER)
            reminded += 1
    drafted = draft_requests(session, now) if first_time(session, f"share-drafts:{now.date()}", now) else 0
    session.commit()
    return ShareReport(reminded, expired, drafted)


def _asking_teams(session: Session, now: datetime) -> dict[int, set[int]]:
    """For each team-scoped active item, the teams of askers it helped within DRAFT_WINDOW."""
    rows = session.execute(
        select(LibraryItem.id, Question.team_id).distinct()
        .join(Feedback, Feedback.item_id == LibraryItem.id).join(Question, Question.id == Feedback.question_id)
        .where(LibraryItem.audience_id.is_not(None), LibraryItem.state == ItemState.ACTIVE,
               Feedback.helpful.is_(True), Feedback.created_at >= now - DRAFT_WINDOW, Question.team_id.is_not(None)))
    found: dict[int, set[int]] = {}
    for item_id, team_id in rows:
        found.setdefault(item_id, set()).add(team_id)
    return found


DRAFT_CHUNK = 500  # item ids per query while drafting


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[start:start + DRAFT_CHUNK]) for start in range(0, len(ids), DRAFT_CHUNK)]


def _quiet(session: Session, item_ids: Sequence[int], now: datetime) -> set[int]:
    """Which of the items have an open request, or a decision on one within DRAFT_QUIET."""
    return {item_id for chunk in _chunks(item_ids) for item_id in session.scalars(
        select(ShareRequest.item_id).distinct().where(ShareRequest.item_id.in_(chunk), (
            ShareRequest.status.in_(OPEN) | (ShareRequest.decided_at >= now - DRAFT_QUIET))))}


def _recent_usage(session: Session, item_ids: Sequence[int], since: datetime) -> dict[int, Usage]:
    """`usage(item, since)` of each item, two queries a chunk."""
    answered: dict[int, int] = {}
    from_teams: dict[int, int] = {}
    for chunk in _chunks(item_ids):
        helpful = (Feedback.item_id.in_(chunk), Feedback.helpful.is_(True), Feedback.created_at >= since)
        answered.update(session.execute(select(Feedback.item_id, func.count(func.distinct(Feedback.question_id)))
                                        .where(*helpful).group_by(Feedback.item_id)).all())
        from_teams.update(session.execute(
            select(Feedback.item_id, func.count(func.distinct(Question.team_id)))
            .join(Question, Question.id == Feedback.question_id)
            .where(*helpful, Question.team_id.is_not(None)).group_by(Feedback.item_id)).all())
    return {item_id: Usage(answered.get(item_id, 0), from_teams.get(item_id, 0)) for item_id in item_ids}


def _supervisors(session: Session, team_ids: Sequence[int]) -> dict[int, list[str]]:
    """`teams.supervisors` of each team, in join order."""
    found: dict[int, list[str]] = {}
    for chunk in _chunks(team_ids):
        for team_id, user_id in session.execute(select(TeamMember.team_id, TeamMember.user_id).where(
                TeamMember.team_id.in_(chunk), TeamMember.role == TeamRole.SUPERVISOR).order_by(TeamMember.id)):
            found.setdefault(team_id, []).append(user_id)
    return found


@dataclass
class _Tree:
    """Every team's parent, children and name, read once: below / above a team without a query each."""

    parent: dict[int, int | None]
    children: dict[int, list[int]]
    names: dict[int, str]

    @classmethod
    def read(cls, session: Session) -> _Tree:
        tree = cls({}, {}, {})
        for team_id, parent_id, name in session.execute(select(Team.id, Team.parent_id, Team.name)):
            tree.parent[team_id], tree.names[team_id] = parent_id, name
            if parent_id is not None:
                tree.children.setdefault(parent_id, []).append(team_id)
        return tree

    def below(self, team_id: int) -> set[int]:
        """As `teams.below`: the team and every team under it."""
        seen: set[int] = set()
        frontier = {team_id}
        while frontier:
            seen |= frontier
            frontier = {child for t in frontier for child in self.children.get(t, ())} - seen
        return seen

    def above(self, team_id: int) -> list[int]:
        """As `targets` without the organisation: each department above the team, nearest first."""
        found: list[int] = []
        parent = self.parent.get(team_id)
        while parent is not None and parent in self.parent and len(found) < 50:
            found.append(parent)
            parent = self.parent[parent]
        return found

    def smallest_target(self, team_id: int, asking: set[int]) -> int | None:
        """The nearest department above the team that holds every asking team; else the organisation."""
        return next((d for d in self.above(team_id) if asking <= self.below(d)), None)


def draft_requests(session: Session, now: datetime) -> int:
    """Draft a share request for each team item that keeps answering other teams, for its owner (else its
    team's supervisors), with the evidence; returns how many were drafted (the caller commits). Its reads
    are a few queries, or a few per DRAFT_CHUNK items, however many items answered."""
    asking = _asking_teams(session, now)
    if not asking:
        return 0
    tree = _Tree.read(session)
    items = {item.id: item for chunk in _chunks(sorted(asking))
             for item in session.scalars(select(LibraryItem).where(LibraryItem.id.in_(chunk)))}
    audience = {item_id: item.audience_id for item_id, item in items.items() if item.audience_id is not None}
    outside = {item_id: asking[item_id] - tree.below(team_id) for item_id, team_id in audience.items()}
    wanted = [item_id for item_id in sorted(outside) if len(outside[item_id]) >= DRAFT_TEAMS]
    quiet = _quiet(session, wanted, now)
    wanted = [item_id for item_id in wanted if item_id not in quiet]
    supervised = _supervisors(session, sorted({audience[i] for i in wanted if not items[i].owner_id}))
    drafters = {item_id: [owner] if (owner := items[item_id].owner_id) else supervised.get(audience[item_id], [])
                for item_id in wanted}
    wanted = [item_id for item_id in wanted if drafters[item_id]]
    recent = _recent_usage(session, wanted, now - DRAFT_WINDOW)
    requests = [ShareRequest(item_id=item_id, requested_by=drafters[item_id][0], status=ShareStatus.DRAFTED,
                             target_id=tree.smallest_target(audience[item_id], outside[item_id]),
                             created_at=now,
                             evidence={"answered": recent[item_id].answered, "teams": recent[item_id].teams,
                                       "other_teams": sorted(tree.names[t] for t in outside[item_id]
                                                             if t in tree.names),
                                       "days": DRAFT_WINDOW.days})
                for item_id in wanted]
    session.add_all(requests)
    session.flush()
    for request in requests:  # a request just made: nothing was queued about it before
        enqueue_new(session, SHARE_DRAFTED, request.id, now, drafters[request.item_id])
    return len(requests)


@dataclass(frozen=True)
class RequestView:
    """A share request as its DMs show it."""

    request_id: int
    status: ShareStatus
    item_id: int
    title: str
    url: str | None
    summary: str
    audience: str  # who sees the item now
    target: str
    requested_by: str
    drafted: bool  # the bot drafted it
    evidence: dict[str, Any]
    usage: Usage
    deadline: datetime | None
    decided_by: str | None
    reason: str | None


def request_view(session: Session, request_id: int) -> RequestView | None:
    request = session.get(ShareRequest, request_id)
    item = None if request is None else session.get(LibraryItem, request.item_id)
    if request is None or item is None:
        return None
    evidence = dict(request.evidence or {})
    return RequestView(request.id, request.status, item.id, item.title, item.url, item.body,
                       audience_name(session, item.audience_id), audience_name(session, request.target_id),
                       request.requested_by, "other_teams" in evidence, evidence, usage(session, item.id),
                       request.deadline_at, request.decided_by, request.reason)


@dataclass(frozen=True)
class TeamItem:
    """A team-scoped item on its owner's or supervisor's Home tab."""

    item_id: int
    title: str
    url: str | None
    audience: str
    usage: Usage
    pending: str | None  # the target of a request waiting for a decision


def team_items(session: Session, settings: Settings, user_id: str) -> list[TeamItem]:
    """Team items `user_id` may ask to share: theirs, and those of the teams they supervise (most recent first)."""
    supervised: set[int] = set()
    for team in teams.supervised_teams(session, user_id):
        supervised |= teams.below(session, team.id)
    items = session.scalars(select(LibraryItem).where(
        LibraryItem.audience_id.is_not(None), LibraryItem.state == ItemState.ACTIVE,
        (LibraryItem.owner_id == user_id) | LibraryItem.audience_id.in_(supervised))
        .order_by(LibraryItem.created_at.desc(), LibraryItem.id.desc()).limit(TEAM_ITEMS_SHOWN))
    shown = []
    for item in items:
        waiting = session.scalar(select(ShareRequest).where(ShareRequest.item_id == item.id,
                                                            ShareRequest.status == ShareStatus.PENDING).limit(1))
        shown.append(TeamItem(item.id, item.title, item.url, audience_name(session, item.audience_id),
                              usage(session, item.id), audience_name(session, waiting.target_id) if waiting else None))
    return shown


def shareable_ids(session: Session, settings: Settings, user_id: str, item_ids: Sequence[int]) -> set[int]:
    """Which of these items `user_id` may ask to share (for the button on the answer they appear in)."""
    found = session.scalars(select(LibraryItem).where(LibraryItem.id.in_(list(item_ids)),
                                                      LibraryItem.audience_id.is_not(None)))
    return {item.id for item in found if access.may_request_share(session, settings, user_id, item)}
