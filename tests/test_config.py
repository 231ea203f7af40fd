"""Settings: production refuses to run without what protects the data (the audit trail's signing key), and the
default language must be one the interface offers."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from pydantic import ValidationError

from crossroads.audit.keys import private_key_text, public_key_text
from crossroads.config import InsecureSettingsError, Settings

KEY = ed25519.Ed25519PrivateKey.generate()


def settings(tmp_path, **values) -> Settings:
    return Settings(data_dir=tmp_path, audit_signing_key=values.pop("audit_signing_key", ""), **values)


class TestAuditKeys:
    def test_a_missing_key_is_refused(self, tmp_path):
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_AUDIT_SIGNING_KEY is not set"):
            settings(tmp_path).check_audit_keys()

    @pytest.mark.parametrize(("text", "message"), [
        ("x25519:AAAA", "must start with 'ed25519:'"),
        ("ed25519:AAAA", "must encode 32 bytes"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a readable unencrypted PEM"),
    ])
    def test_an_unreadable_key_is_refused_naming_the_problem(self, tmp_path, text, message):
        with pytest.raises(InsecureSettingsError, match=message):
            settings(tmp_path, audit_signing_key=text).check_audit_keys()

    def test_the_key_as_text_as_pem_or_in_a_file(self, tmp_path):
        pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        settings(tmp_path, audit_signing_key=private_key_text(KEY)).check_audit_keys()
        settings(tmp_path, audit_signing_key=pem).check_audit_keys()
        path = tmp_path / "elsewhere.key"
        path.write_text(private_key_text(KEY) + "\n")
        settings(tmp_path, audit_signing_key_file=path).check_audit_keys()
        (tmp_path / "audit-signing.key").write_text(pem)
        settings(tmp_path).check_audit_keys()

    def test_a_key_file_named_but_missing_is_refused(self, tmp_path):
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_AUDIT_SIGNING_KEY_FILE: cannot read"):
            settings(tmp_path, audit_signing_key_file=tmp_path / "missing.key").check_audit_keys()

    def test_an_unreadable_trusted_public_key_is_named(self, tmp_path):
        good = public_key_text(ed25519.Ed25519PrivateKey.generate())
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_AUDIT_PUBLIC_KEYS: each key must encode"):
            settings(tmp_path, audit_signing_key=private_key_text(KEY),
                     audit_public_keys=f"{good}, ed25519:AAAA").check_audit_keys()

    def test_production_checks_the_audit_key_last(self, tmp_path):
        from crossroads.disclosure.engine.exchange import generate_signing_key, signing_key_text

        base = {"secret_key": "s" * 40, "exchange_signing_key": signing_key_text(generate_signing_key())}
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_AUDIT_SIGNING_KEY"):
            settings(tmp_path, **base).check_production()
        settings(tmp_path, audit_signing_key=private_key_text(KEY), **base).check_production()


class TestDefaultLocale:
    @pytest.mark.parametrize("locale", ["en", "fr", "ar", "es"])
    def test_every_offered_language_may_be_the_default(self, locale):
        assert Settings(default_locale=locale).default_locale == locale

    def test_a_language_not_offered_is_refused(self):
        with pytest.raises(ValidationError, match="must be one of en, fr, ar, es"):
            Settings(default_locale="de")


class TestEmail:
    def production(self, tmp_path, **values) -> Settings:
        from crossroads.disclosure.engine.exchange import generate_signing_key, signing_key_text

        return settings(tmp_path, secret_key="s" * 40, exchange_signing_key=signing_key_text(generate_signing_key()),
                        audit_signing_key=private_key_text(KEY), **values)

    def test_without_email_no_sender_is_needed(self, tmp_path):
        self.production(tmp_path).check_production()

    def test_email_without_a_sender_address_is_refused(self, tmp_path):
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_MAIL_FROM"):
            self.production(tmp_path, smtp_host="smtp.agency.example", base_url="https://crossroads.example"
                            ).check_production()

    def test_email_without_a_base_url_is_refused(self, tmp_path):
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_BASE_URL"):
            self.production(tmp_path, smtp_host="smtp.agency.example", mail_from="crossroads@agency.example"
                            ).check_production()

    def test_email_with_both(self, tmp_path):
        self.production(tmp_path, smtp_host="smtp.agency.example", mail_from="crossroads@agency.example",
                        base_url="https://crossroads.example").check_production()

    def test_webhooks_over_plain_http_only_outside_production_or_when_allowed(self, tmp_path):
        assert not self.production(tmp_path).webhook_http_allowed()
        assert self.production(tmp_path, webhook_allow_http=True).webhook_http_allowed()
        assert settings(tmp_path, mode="demo").webhook_http_allowed()
