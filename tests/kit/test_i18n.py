"""Marked messages are said in the reader's language: a msgid with its context takes that context's form."""

from __future__ import annotations

from crossroads.kit.i18n import pgettext, translate
from crossroads.web.i18n import translations


def test_a_msgid_in_context_is_translated_within_its_context():
    spanish = translations("es")
    state = pgettext("referral state", "Accepted")
    assert state == "Accepted" and state.context == "referral state"
    assert translate(spanish, state) == "Aceptada"
    assert translate(spanish, pgettext("referrals counted", "Accepted")) == "Aceptadas"
    assert translate(translations("en"), state) == "Accepted"
