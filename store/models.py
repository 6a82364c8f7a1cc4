"""SQLAlchemy 2.0 typed models: the schema every feature reads and writes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class QuestionStatus(StrEnum):
    """asked → (self_served | routed) → answered → resolved."""

    ASKED = "asked"
    SELF_SERVED = "self_served"
    ROUTED = "routed"
    ANSWERED = "answered"
    RESOLVED = "resolved"


class CardStatus(StrEnum):
    """open → acknowledged → (course_planned) → resolved; closed when its last question left it."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    COURSE_PLANNED = "course_planned"
    RESOLVED = "resolved"
    CLOSED = "closed"


class ItemState(StrEnum):
    """active → obsolete (out of search, still shown by link) → archived."""

    ACTIVE = "active"
    OBSOLETE = "obsolete"
    ARCHIVED = "archived"


class TeamRole(StrEnum):
    """A person's place in a team: a member learns, a supervisor publishes for it and sees its progress."""

    MEMBER = "member"
    SUPERVISOR = "supervisor"


class GrantedRole(StrEnum):
    """Roles granted in the database (LEARNBOT_MANAGERS stays the root, granted by no one)."""

    LEARNING_MANAGER = "learning_manager"
    CONTENT_OWNER = "content_owner"


class ShareStatus(StrEnum):
    """drafted (by the bot, for its owner) → pending → approved | declined | expired."""

    DRAFTED = "drafted"
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"


REVIEW_DAYS = 90  # an item's default review interval
REVIEW_CHOICES = (30, 90, 180, 365)


class StatusType(TypeDecorator[StrEnum]):
    """A status enum stored as its string value (a plain VARCHAR: no database enum type to migrate)."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    pass


class Person(Base):
    """A Slack user the bot has met: asker, expert or manager."""

    __tablename__ = "people"
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    home_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LibraryItem(Base):
    """A piece of content the bot can answer with. `key` (a hash of its url or title) makes re-imports update."""

    __tablename__ = "library_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(1000), default="")
    source: Mapped[str] = mapped_column(String(20), default="import")
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner_id: Mapped[str | None] = mapped_column(String(32), index=True)  # its verifier; None: the learning managers
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: not verified (yet, or any more)
    verified_by: Mapped[str | None] = mapped_column(String(32))
    unverified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when its verification was withdrawn
    review_days: Mapped[int] = mapped_column(Integer, default=REVIEW_DAYS, server_default=str(REVIEW_DAYS))
    review_on: Mapped[date | None] = mapped_column(Date)  # an explicit next review date, until verified
    state: Mapped[ItemState] = mapped_column(StatusType(ItemState), default=ItemState.ACTIVE,
                                             server_default=ItemState.ACTIVE.value)
    archive_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # its owner was told: archived then, unless verified
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # review_due, stored for SQL
    audience_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", name="fk_library_items_audience_id"),
                                                    index=True)  # who sees it: a team or department; None: everyone
    competency_id: Mapped[str | None] = mapped_column(
        ForeignKey("competencies.id", name="fk_library_items_competency_id"))

    @property
    def review_due(self) -> datetime:
        """When the item is due for review: its explicit date, else its interval after its last
        verification (or creation); at once when its verification was withdrawn."""
        if self.review_on is not None:
            return datetime.combine(self.review_on, time(), tzinfo=timezone.utc)
        if self.verified_at is None and self.unverified_at is not None:
            return self.unverified_at
        days = REVIEW_DAYS if self.review_days is None else self.review_days  # None: not inserted yet
        return (self.verified_at or self.created_at) + timedelta(days=days)


@event.listens_for(LibraryItem, "before_insert")
@event.listens_for(LibraryItem, "before_update")
def _store_review_due(_mapper: Any, _connection: Any, item: LibraryItem) -> None:
    """Keep `review_due_at` equal to `review_due`, so due items and the trust score are indexed queries."""
    item.review_due_at = item.review_due


class Expertise(Base):
    """A topic a person knows: declared, imported, or learned from answers (weight fades)."""

    __tablename__ = "expertise"
    __table_args__ = (UniqueConstraint("user_id", "topic", "source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("people.user_id"), index=True)
    topic: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Question(Base):
    """One `/learn` question and the time of each step it went through."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_status_routed", "status", "routed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asker_id: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_in: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[QuestionStatus] = mapped_column(StatusType(QuestionStatus), default=QuestionStatus.ASKED)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    self_served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    help_channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(20), default="slack")
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    andon_card_id: Mapped[int | None] = mapped_column(ForeignKey("andon_cards.id", name="fk_questions_andon_card_id"),
                                                      index=True)
    request_id: Mapped[str | None] = mapped_column(String(128), unique=True)  # the Slack request it came from
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", name="fk_questions_team_id"),
                                                index=True)  # the asker's team when they asked


class AndonCard(Base):
    """Unanswered questions on one topic, in the managers' channel: open → acknowledged → resolved.

    `version` counts changes: each one queues one `chat.update` of the card.
    """

    __tablename__ = "andon_cards"
    __table_args__ = (Index("ix_andon_status", "status", "snoozed_until"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[CardStatus] = mapped_column(StatusType(CardStatus), default=CardStatus.OPEN)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_to: Mapped[str | None] = mapped_column(String(32))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_item_id: Mapped[int | None] = mapped_column(ForeignKey("library_items.id"))
    kanban_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notify_count: Mapped[int] = mapped_column(Integer, default=0)


class LearningNeed(Base):
    """A course planned for an andon card's topic: who makes it, by when, and what shipped."""

    __tablename__ = "learning_needs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("andon_cards.id"), unique=True)
    need: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[str] = mapped_column(String(32), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    planned_by: Mapped[str] = mapped_column(String(32))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    item_id: Mapped[int | None] = mapped_column(ForeignKey("library_items.id"))
    path_id: Mapped[int | None] = mapped_column(ForeignKey("learning_paths.id", name="fk_learning_needs_path_id"))


class ExpertPing(Base):
    """A colleague mentioned for a question: on its post, or later in its thread (`reason`)."""

    __tablename__ = "expert_pings"
    __table_args__ = (UniqueConstraint("question_id", "user_id"), Index("ix_pings_user_time", "user_id", "pinged_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(20), default="routed")
    pinged_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExpertDecline(Base):
    """"Not my area": the person is not asked again for this question, and less for similar ones."""

    __tablename__ = "expert_declines"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Answer(Base):
    """A reply in a question's thread; one row per Slack message."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("question_id", "message_ts"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    message_ts: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Reflection(Base):
    """One line on what a question taught its asker or its answerer."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Feedback(Base):
    """A person's verdict on an item offered for their question; it teaches the matcher."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("question_id", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("library_items.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SynonymGroup(Base):
    """Terms that mean the same thing to the matcher (`pto, vacation, time off`)."""

    __tablename__ = "synonym_groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    terms: Mapped[str] = mapped_column(String(1000), unique=True)


class IndexChange(Base):
    """An append-only log of what the matching index must re-read; every process follows it."""

    __tablename__ = "index_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DigestRun(Base):
    """A weekly digest that was started: one row per week, so no week is ever sent twice."""

    __tablename__ = "digest_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(10), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    """Slack event ids and click ids already handled: retries and double-clicks do nothing twice."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class OutboxMessage(Base):
    """A durable message: written with the state change, rendered and delivered with retries."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "sent_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    ref_id: Mapped[int] = mapped_column(Integer)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result_channel: Mapped[str | None] = mapped_column(String(32))
    result_ts: Mapped[str | None] = mapped_column(String(32))


class Embedding(Base):
    """A stored sentence embedding of an item (bot.search.vectors.DocumentVectors bytes), a past question or
    a piece of expert evidence (float32 bytes), so a restart does not recompute them; `text_hash`
    tells when the text changed."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("kind", "ref", "model_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(64), index=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Team(Base):
    """A team, or a department (a team with child teams). `name` is the import key."""

    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    usergroup_id: Mapped[str | None] = mapped_column(String(32), unique=True)  # the Slack user group it follows
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TeamMember(Base):
    """A person in a team, as a member or its supervisor; a person may be in several teams."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[TeamRole] = mapped_column(StatusType(TeamRole), default=TeamRole.MEMBER)
    source: Mapped[str] = mapped_column(String(20), default="import")  # import | usergroup
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoleGrant(Base):
    """A role held by a person beyond their teams: learning manager, content owner."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[GrantedRole] = mapped_column(StatusType(GrantedRole))
    granted_by: Mapped[str | None] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Competency(Base):
    """One competency of L&D's framework (imported; read-only for supervisors)."""

    __tablename__ = "competencies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("competencies.id"))


class ShareRequest(Base):
    """A request to widen an item's audience to a department or the organisation (`target_id` None)."""

    __tablename__ = "share_requests"
    __table_args__ = (Index("ix_share_requests_status_deadline", "status", "deadline_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("library_items.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(32))  # for a drafted request: the owner it is drafted for
    target_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    status: Mapped[ShareStatus] = mapped_column(StatusType(ShareStatus), default=ShareStatus.PENDING)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # usage when it was made
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(String(500))


class LearningPath(Base):
    """An ordered list of library items toward a competency; from an andon card's course when `need` has it."""

    __tablename__ = "learning_paths"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    competency_id: Mapped[str | None] = mapped_column(ForeignKey("competencies.id"))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: a draft, assigned to no one yet


class PathStep(Base):
    """One step of a path: an item, in order."""

    __tablename__ = "path_steps"
    __table_args__ = (UniqueConstraint("path_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("library_items.id"))


class PathAssignment(Base):
    """A path given to a team (every member, present and future) with a due date."""

    __tablename__ = "path_assignments"
    __table_args__ = (UniqueConstraint("path_id", "team_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(Date)


class PathEnrolment(Base):
    """A person who started a path outside their teams' assignments (e.g. an asker told of a course)."""

    __tablename__ = "path_enrolments"
    __table_args__ = (UniqueConstraint("path_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date | None] = mapped_column(Date)


class StepCompletion(Base):
    """A person's step done, with their one-line reflection on it."""

    __tablename__ = "step_completions"
    __table_args__ = (UniqueConstraint("step_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("path_steps.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reflection: Mapped[str | None] = mapped_column(String(500))
    reflected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
