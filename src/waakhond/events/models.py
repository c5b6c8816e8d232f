"""Typed, validated input events: what a platform already has.

Every event has an ``id`` chosen by the platform (the engine is idempotent on it), a ``kind`` and the time it
happened (``occurred_at``). Unknown fields are refused rather than silently dropped, so a typo in an
integration shows up on the first request instead of as a detector that never fires.

Example::

    >>> from waakhond.events import parse_event
    >>> e = parse_event({"id": "m1", "kind": "message", "occurred_at": "2026-01-01T12:00:00Z",
    ...                  "sender_id": "u1", "recipient_ids": ["u2"], "channel": "dm", "text": "hi"})
    >>> e.kind, e.channel
    ('message', 'dm')
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

#: Longest message text accepted. Longer texts are refused (413-style error), never truncated silently.
MAX_TEXT_CHARS = 100_000

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=False)]
ShortText = Annotated[str, StringConstraints(max_length=2_000)]


class AgeBand(StrEnum):
    """Coarse age as many platforms store it. ``under_13`` … ``adult``; ``unknown`` when not asked."""

    under_13 = "under_13"
    age_13_15 = "13_15"
    age_16_17 = "16_17"
    adult = "adult"
    unknown = "unknown"


class AgeSource(StrEnum):
    """How the platform knows an age: a verified age weighs more than a declared one."""

    declared = "declared"
    estimated = "estimated"
    verified = "verified"


class Channel(StrEnum):
    dm = "dm"
    group = "group"
    livestream = "livestream"
    comment = "comment"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    id: Identifier
    occurred_at: datetime
    # Optional, and left out of the stored form when absent (so digests of events without it do not change):
    # hotline reports list it as an IP capture event of the account that acted.
    client_ip: IPv4Address | IPv6Address | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="the address the acting account used for this event, if the platform logs it")

    @field_validator("occurred_at", mode="after")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # Naive timestamps are read as UTC: platforms often log in UTC without an offset.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ProfilePhoto(BaseModel):
    """A reference to a profile photo: its hashes, never its bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    media_id: Identifier | None = None
    pdq: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    md5: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$")] | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None


class AccountCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    followers: int = Field(default=0, ge=0)
    following: int = Field(default=0, ge=0)
    posts: int = Field(default=0, ge=0)


class AccountEvent(_Event):
    """An account was created or its profile changed."""

    kind: Literal["account"] = "account"
    account_id: Identifier
    created_at: datetime | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    age_band: AgeBand | None = None
    age_source: AgeSource = AgeSource.declared
    display_name: ShortText | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")] | None = None
    counts: AccountCounts | None = None
    profile_photo: ProfilePhoto | None = None
    device_hash: Identifier | None = None
    email_hash: Identifier | None = None
    trusted_flagger: bool = False

    @field_validator("created_at", mode="after")
    @classmethod
    def _aware_created(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MessageEvent(_Event):
    """A message: a DM, a group or livestream chat line, or a comment under content."""

    kind: Literal["message"] = "message"
    sender_id: Identifier
    channel: Channel
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    recipient_ids: list[Identifier] = Field(default_factory=list, max_length=1_000)
    room_id: Identifier | None = None
    content_id: Identifier | None = None
    content_owner_id: Identifier | None = None
    lang: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = None

    @model_validator(mode="after")
    def _addressed(self) -> MessageEvent:
        if self.channel is Channel.dm and len(self.recipient_ids) != 1:
            raise ValueError("a dm message needs exactly one entry in recipient_ids")
        if self.channel in (Channel.group, Channel.livestream) and self.room_id is None:
            raise ValueError(f"a {self.channel.value} message needs room_id")
        if self.channel is Channel.comment and self.content_id is None:
            raise ValueError("a comment needs content_id (the content it comments on)")
        if not self.text.strip():
            raise ValueError("text must contain more than white space")
        return self


class VideoFrame(BaseModel):
    """One sampled frame of a video (vPDQ: one a second), as ``waakhond hash`` and ``/v1/media/hash`` give
    them for a video file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pdq: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    quality: int = Field(ge=0, le=100)
    timestamp: float = Field(default=0.0, ge=0)
    frame_number: int | None = Field(default=None, ge=0)


class MediaEvent(_Event):
    """An image or video upload, described by its hashes (the engine never needs the bytes in an event).
    ``pdq_lookups`` may add the picture's other PDQ hashes to look up — its flipped and rotated variants,
    the picture inside margins, the picture with a watermark painted out — as ``waakhond hash`` and
    ``/v1/media/hash`` give them (``lookups``). A video's ``vpdq`` holds its sampled frames' PDQ hashes (at
    most 3,600: an hour at one a second)."""

    kind: Literal["media"] = "media"
    account_id: Identifier
    media_id: Identifier
    media_type: Literal["image", "video"]
    purpose: Literal["post", "profile_photo", "message_attachment", "stream_thumbnail"] = "post"
    pdq: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    pdq_quality: int | None = Field(default=None, ge=0, le=100)
    pdq_lookups: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]] | None = Field(
        default=None, max_length=32)
    md5: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$")] | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    vpdq: list[VideoFrame] | None = Field(default=None, max_length=3_600)
    recipient_ids: list[Identifier] = Field(default_factory=list, max_length=1_000)
    room_id: Identifier | None = None

    @model_validator(mode="after")
    def _vpdq_for_videos(self) -> MediaEvent:
        if self.vpdq and self.media_type != "video":
            raise ValueError("vpdq (frame hashes) is for media_type 'video'")
        return self


class ContactEvent(_Event):
    """A follow, friend request, DM request, block or stream join from ``actor_id`` towards ``target_id``."""

    kind: Literal["contact"] = "contact"
    actor_id: Identifier
    target_id: Identifier
    action: Literal["follow", "unfollow", "friend_request", "friend_accept", "dm_request", "block", "join_stream"]
    hashtag: ShortText | None = None


class GiftEvent(_Event):
    """Points, coins or money sent from one account to another, optionally with a note."""

    kind: Literal["gift"] = "gift"
    sender_id: Identifier
    recipient_id: Identifier
    amount: float = Field(gt=0, le=1e9)
    currency: Annotated[str, StringConstraints(min_length=1, max_length=40)] = "points"
    note: ShortText | None = None
    room_id: Identifier | None = None


class ReportCategory(StrEnum):
    grooming = "grooming"
    sextortion = "sextortion"
    sexual_comment_on_minor = "sexual_comment_on_minor"
    csam = "csam"
    harassment = "harassment"
    spam = "spam"
    impersonation = "impersonation"
    other = "other"


class ReportEvent(_Event):
    """An in-app user report. ``reporter_id`` may be omitted for an anonymous report."""

    kind: Literal["report"] = "report"
    reporter_id: Identifier | None = None
    subject_account_id: Identifier | None = None
    subject_event_id: Identifier | None = None
    category: ReportCategory
    text: ShortText | None = None
    trusted_flagger: bool = False

    @model_validator(mode="after")
    def _has_subject(self) -> ReportEvent:
        if self.subject_account_id is None and self.subject_event_id is None:
            raise ValueError("a report needs subject_account_id or subject_event_id")
        return self


class ModerationEvent(_Event):
    """A moderator's or room admin's action on the platform (the engine watches the watchers too)."""

    kind: Literal["moderation"] = "moderation"
    actor_id: Identifier
    actor_role: Literal["platform_moderator", "room_admin", "system"]
    action: Literal["ban", "unban", "kick", "mute", "warn", "remove_content", "suspend", "restore"]
    target_id: Identifier
    room_id: Identifier | None = None
    reason: ShortText | None = None


Event = Annotated[
    AccountEvent | MessageEvent | MediaEvent | ContactEvent | GiftEvent | ReportEvent | ModerationEvent,
    Field(discriminator="kind"),
]

EVENT_KINDS: tuple[str, ...] = ("account", "message", "media", "contact", "gift", "report", "moderation")
