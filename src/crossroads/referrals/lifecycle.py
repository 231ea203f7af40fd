"""The referral lifecycle: which step may follow which state, and which side takes it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReferralState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CLOSED = "closed"
    NO_SHOW = "no_show"


S = ReferralState


class Side(StrEnum):
    REFERRER = "referrer"
    RECEIVER = "receiver"


@dataclass(frozen=True)
class Step:
    name: str
    to: S
    side: Side
    after: frozenset[S]
    # The timestamp column the step sets.
    stamp: str


STEPS: dict[str, Step] = {s.name: s for s in (
    Step("send", S.SENT, Side.REFERRER, frozenset({S.DRAFT}), "sent_at"),
    Step("accept", S.ACCEPTED, Side.RECEIVER, frozenset({S.SENT}), "accepted_at"),
    Step("decline", S.DECLINED, Side.RECEIVER, frozenset({S.SENT}), "declined_at"),
    Step("start", S.IN_PROGRESS, Side.RECEIVER, frozenset({S.ACCEPTED}), "started_at"),
    Step("complete", S.COMPLETED, Side.RECEIVER, frozenset({S.ACCEPTED, S.IN_PROGRESS}), "completed_at"),
    Step("no_show", S.NO_SHOW, Side.RECEIVER, frozenset({S.ACCEPTED, S.IN_PROGRESS}), "no_show_at"),
    Step("close", S.CLOSED, Side.RECEIVER, frozenset({S.SENT, S.ACCEPTED, S.IN_PROGRESS}), "closed_at"),
)}

OPEN = frozenset({S.SENT, S.ACCEPTED, S.IN_PROGRESS})
FINAL = frozenset({S.DECLINED, S.COMPLETED, S.CLOSED, S.NO_SHOW})


def step(name: str) -> Step:
    return STEPS[name]


def allowed(name: str, state: S) -> bool:
    return state in STEPS[name].after


def next_steps(state: S, side: Side) -> list[str]:
    return [s.name for s in STEPS.values() if s.side is side and state in s.after]
