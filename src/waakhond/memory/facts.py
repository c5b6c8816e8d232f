"""The facts memory gives to detectors and policy, by name.

The names are public vocabulary: policy rules use them (``recipient_is_minor and sender_is_adult``), the API
shows them in every decision. Each fact has a type and a one-line meaning; policy rules are type-checked
against this table when they are loaded. A fact that memory cannot know (no birth year given) is ``None``,
and rules treat ``None`` as false in tests and as absent in comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    name: str
    type: type
    meaning: str


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact("kind", str, "event kind: account, message, media, contact, gift, report, moderation"),
        Fact("channel", str, "message channel: dm, group, livestream, comment (empty for other kinds)"),
        Fact("sender_age", int, "age in years of the acting account (sender, actor, uploader), if known"),
        Fact("sender_is_adult", bool, "the acting account is 18 or older (declared or verified)"),
        Fact("sender_is_minor", bool, "the acting account is under 18"),
        Fact("sender_age_unknown", bool, "the platform gave no age for the acting account"),
        Fact("sender_age_verified", bool, "the acting account's age is verified, not just declared"),
        Fact("sender_account_age_days", float, "days since the acting account was created, if known"),
        Fact("sender_has_profile_photo", bool, "the acting account has a profile photo"),
        Fact("sender_risk", float, "the acting account's accumulated risk, 0..1"),
        Fact("sender_reports_received", int, "reports received by the acting account"),
        Fact("sender_is_suspended", bool, "the acting account is suspended pending review"),
        Fact("sender_is_trusted_flagger", bool, "the acting account is a trusted flagger"),
        Fact("sender_blocks_received", int, "times the acting account was blocked"),
        Fact("sender_first_contacts_to_minors", int, "minors the acting account has contacted first, ever"),
        Fact("sender_following_count", int, "accounts the acting account follows (from its profile counts)"),
        Fact("sender_posts_count", int, "posts of the acting account (from its profile counts)"),
        Fact("sender_linked_to_suspended", bool, "the acting account shares a device, e-mail or profile photo "
             "with a suspended or banned account"),
        Fact("recipient_age", int, "youngest known age among the recipients (or the streamer / content owner)"),
        Fact("recipient_is_minor", bool, "a recipient (or the streamer / content owner) is under 18"),
        Fact("recipient_language", str, "the recipient's language for nudges: nl, en, de or fr"),
        Fact("age_gap", int, "sender age minus youngest recipient age, if both are known"),
        Fact("is_first_contact", bool, "first interaction of any kind from sender to this recipient"),
        Fact("is_stranger", bool, "no mutual follow, friendship or earlier two-way conversation"),
        Fact("conversation_risk", float, "risk of this conversation after this event, 0..1"),
        Fact("conversation_alert", bool, "the conversation crossed the alert threshold at this event"),
        Fact("conversation_alerted", bool, "the conversation has crossed the alert threshold (now or before)"),
        Fact("report_category", str, "category of a user report (grooming, sextortion, csam, …)"),
        Fact("reporter_is_trusted_flagger", bool, "the report comes from a trusted flagger"),
        Fact("gift_amount", float, "amount of a gift event"),
        Fact("contact_action", str, "follow, friend_request, dm_request, block, join_stream, …"),
        Fact("moderation_action", str, "ban, kick, mute, … for moderation events"),
        Fact("target_is_trusted_flagger", bool, "the account a ban, kick, mute or suspension falls on is a trusted "
             "flagger"),
        Fact("target_reported_abuse_recently", int, "abuse reports (grooming, sextortion, sexual comment on a "
             "minor, CSAM) the moderated account made in the 30 days before"),
        Fact("target_reported_actor", bool, "the moderated account had reported the moderator in those 30 days"),
        Fact("room_streamer_is_minor", bool, "the moderation happens in a livestream room where a minor streams"),
        Fact("actor_silenced_reporters", int, "other abuse reporters the same moderator banned, kicked, muted or "
             "suspended in the 30 days before"),
        Fact("media_purpose", str, "post, profile_photo, message_attachment, stream_thumbnail"),
    )
}
