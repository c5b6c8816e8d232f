"""The grooming tactic taxonomy (message level). The label names are public interface."""

from __future__ import annotations

TACTICS: dict[str, str] = {
    "age_probe": "asks the other person's age, grade or school year",
    "personal_info": "asks for address, school, location, phone number, real name or other identifying details",
    "risk_check": "checks whether parents or other adults are around or watching, or whether the child is alone",
    "secrecy": "asks to keep the contact secret or delete messages, or reassures that nothing will be told",
    "off_platform": "moves the contact to another app, channel, phone number or link",
    "compliment": "flatters the child's looks, body or maturity",
    "reward_offer": "offers points, coins, gifts, money, followers or a score, especially in exchange for an act",
    "image_request": "asks for a picture, video, camera, live stream or a physical act on camera",
    "sexual_content": "sexual talk or a sexualised remark about the child or her body",
    "pressure": "insists after a refusal: dares, guilt, sadness, 'everyone does it', 'just once'",
    "meeting": "proposes to meet offline or to pick the child up",
    "sextortion": "threatens to share images or information unless the child pays or sends more",
}

LABELS: tuple[str, ...] = tuple(TACTICS)
