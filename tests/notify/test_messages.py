"""What a notification may carry: references, counts and paths only, rendered in the reader's language."""

from __future__ import annotations

import pytest

from crossroads.notify import messages
from crossroads.notify.messages import UnsafeParams
from crossroads.web.i18n import translations

REF = {"reference": "REF-2026-000123", "path": "/referrals/42"}


def render(code: str, params: dict, locale: str = "en") -> messages.Email:
    t = translations(locale)
    return messages.render_email(code, params, gettext=t.gettext, ngettext=t.ngettext,
                                 base_url="https://crossroads.example")


class TestParams:
    @pytest.mark.parametrize("reference", ["REF-123", "TUN-2026-000042", "REF-2026-000123", "R1-A"])
    def test_record_numbers_are_references(self, reference):
        assert messages.check_params(frozenset({messages.Param.REFERENCE}), {"reference": reference})

    @pytest.mark.parametrize("reference", ["JOHN-SMITH", "Amina Osman", "REF 123", "ref-123", "REF-123\n",
                                           "أمينة-1", "REF-" + "1" * 40, "", "123-456"])
    def test_names_and_text_are_not_references(self, reference):
        with pytest.raises(UnsafeParams, match="reference"):
            messages.check_params(frozenset({messages.Param.REFERENCE}), {"reference": reference})

    @pytest.mark.parametrize("path", ["/referrals/42?name=Amina", "/people/Amina", "https://evil.example/x",
                                      "//evil.example/x", "/../admin", "/referrals#Amina", "referrals/42", 42])
    def test_only_plain_paths_inside_crossroads(self, path):
        with pytest.raises(UnsafeParams, match="path"):
            messages.check_params(frozenset({messages.Param.PATH}), {"path": path})

    @pytest.mark.parametrize("count", [-1, True, 1.5, "3", messages.MAX_COUNT + 1])
    def test_counts_are_whole_numbers(self, count):
        with pytest.raises(UnsafeParams, match="count"):
            messages.check_params(frozenset({messages.Param.COUNT}), {"count": count})

    def test_no_other_parameter_is_taken(self):
        with pytest.raises(UnsafeParams, match="not taken: name"):
            messages.check_params(messages.MESSAGES["referral.received"].params, {**REF, "name": "Amina Osman"})

    def test_every_parameter_is_needed(self):
        with pytest.raises(UnsafeParams, match="missing: path"):
            messages.check_params(messages.MESSAGES["referral.received"].params, {"reference": "REF-1"})

    def test_every_message_takes_only_the_three_kinds(self):
        for msg in messages.MESSAGES.values():
            assert msg.params <= set(messages.Param)


class TestRenderEmail:
    def test_reference_and_link_only(self):
        email = render("referral.received", REF)
        assert email.subject == "New referral REF-2026-000123"
        assert email.body.startswith(
            "A referral REF-2026-000123 is waiting for you: https://crossroads.example/referrals/42\n")
        assert "no personal data" in email.body

    @pytest.mark.parametrize(("locale", "words"), [("fr", "Nouvelle orientation"), ("ar", "إحالة")])
    def test_in_the_readers_language(self, locale, words):
        email = render("referral.received", REF, locale)
        assert words in email.subject
        assert "REF-2026-000123" in email.subject and "https://crossroads.example/referrals/42" in email.body

    @pytest.mark.parametrize(("count", "text"), [(1, "1 referral is waiting"), (3, "3 referrals are waiting")])
    def test_counts_take_their_plural(self, count, text):
        assert text in render("referrals.waiting", {"count": count, "path": "/referrals"}).body

    def test_unknown_message(self):
        with pytest.raises(UnsafeParams):
            render("referral.gossip", REF)


class TestWebhookPayload:
    def test_event_reference_and_link(self):
        payload = messages.webhook_payload("referral.received", REF, occurred_at="2026-12-09T12:00:00Z",
                                           base_url="https://crossroads.example/")
        assert payload == {"type": "referral.received", "timestamp": "2026-12-09T12:00:00Z",
                           "data": {"reference": "REF-2026-000123", "url": "https://crossroads.example/referrals/42"}}

    def test_unknown_event(self):
        with pytest.raises(UnsafeParams):
            messages.webhook_payload("person.created", REF, occurred_at="x", base_url="")
