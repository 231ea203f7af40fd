"""The one settings class. Secrets come only from the environment (prefix CROSSROADS_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crossroads.kit.i18n import LOCALES
from crossroads.kit.keytext import SIGNER_PREFIX, KeyFormatError, decode_key_text, load_public_key, load_signing_key

# The demo writes this marker into its secret so that `crossroads serve` can recognise and refuse it.
DEMO_SECRET_PREFIX = "demo-only-"  # noqa: S105 - a marker, not a secret


class InsecureSettingsError(RuntimeError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSROADS_", extra="ignore")

    database_url: str = "sqlite:///./data/crossroads.db"
    secret_key: str = ""
    mode: str = Field(default="production", pattern="^(production|demo|test)$")
    # Secure cookies need HTTPS; the demo serves plain HTTP on the loopback interface. With them, every answer
    # also tells browsers to reach this host (and its subdomains) over HTTPS only, for a year (HSTS).
    cookie_secure: bool = True
    # The largest request body, in bytes, of a JSON call or a form, and of an attachment upload: an attachment
    # (at most 10 MiB, cases/work/attachments.py) with its multipart framing. Larger bodies are answered 413
    # before they are read (web/middleware.py: BodyLimit).
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    max_upload_bytes: int = Field(default=11 * 1024 * 1024, gt=0)
    # Reads first (web/admission.py): per server process, at most this many writes at once, and a write waits
    # while reads are in flight for at most write_wait_ms. 0 writes turns the gate off.
    max_concurrent_writes: int = Field(default=4, ge=0)
    write_wait_ms: int = Field(default=250, ge=0)
    session_hours: int = 12
    token_hours: int = 8
    # Login throttling (auth/throttle.py): failures per source and account, and per source, within the window;
    # failures against one account in a day before its growing delay begins, and the cap of that delay.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_source_max_failures: int = Field(default=20, ge=1)
    login_account_free_failures: int = Field(default=10, ge=1)
    login_account_max_delay_seconds: int = Field(default=300, ge=1)
    # The language of pages when neither the user nor their browser asks for one we offer (kit/i18n.py: LOCALES).
    default_locale: str = "en"
    # Lower argon2 cost only for the test suite; production keeps argon2-cffi's RFC 9106 defaults.
    argon2_fast: bool = False
    data_dir: Path = Path("./data")
    # The agency's Ed25519 key that signs exchange packages ("ed25519:" + base64 seed; see
    # `crossroads exchange signing-key`). Partners pin its public half.
    exchange_signing_key: str = ""
    # The Ed25519 key that signs the audit trail's tree heads ("ed25519:" + base64 seed, or an unencrypted PEM;
    # see `crossroads audit keygen`), or a file holding it. Without either, the file data_dir/audit-signing.key
    # is used if it exists (the demo writes its key there).
    audit_signing_key: str = ""
    audit_signing_key_file: Path | None = None
    # More public keys ("ed25519:…", comma-separated) whose heads verify: keys rotated out, or all an auditor
    # holds, who verifies the trail without the private key.
    audit_public_keys: str = ""
    # How often `crossroads serve` seals the trail in a background thread, in seconds; 0 leaves it to
    # `crossroads audit seal --every`.
    audit_seal_seconds: float = Field(default=5.0, ge=0)
    # Where `crossroads audit verify` keeps the last head it verified (default data_dir/audit-verified-head.json).
    audit_verified_head_file: Path | None = None
    # Notifications (notify/): where links in them point (the address users reach Crossroads at), the SMTP
    # server e-mail goes through (none: e-mail waits in the outbox), and how deliveries are retried.
    base_url: str = ""
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = ""
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Production sends webhooks over HTTPS only, unless this allows plain HTTP (a receiver on a private network).
    webhook_allow_http: bool = False
    notify_max_attempts: int = Field(default=8, ge=1, le=50)
    notify_backoff_seconds: float = Field(default=30.0, gt=0)
    notify_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    # How often `crossroads serve` and the demo deliver due messages in a background thread, in seconds (a
    # commit that queued a message wakes it at once); 0 leaves delivery to `crossroads worker`.
    notify_worker_seconds: float = Field(default=5.0, ge=0)

    @field_validator("default_locale")
    @classmethod
    def _offered_locale(cls, value: str) -> str:
        if value not in LOCALES:
            raise ValueError(f"must be one of {', '.join(LOCALES)}")
        return value

    def audit_key_text(self) -> str:
        """The audit signing key's text from the environment or its file; empty when there is none."""
        if self.audit_signing_key:
            return self.audit_signing_key
        if self.audit_signing_key_file is not None:
            # Named explicitly, so a missing file is an error, not the absence of a key.
            return self.audit_signing_key_file.read_text(encoding="ascii")
        default = self.data_dir / "audit-signing.key"
        return default.read_text(encoding="ascii") if default.is_file() else ""

    def audit_public_key_texts(self) -> list[str]:
        return [k.strip() for k in self.audit_public_keys.split(",") if k.strip()]

    def verified_head_file(self) -> Path:
        return self.audit_verified_head_file or self.data_dir / "audit-verified-head.json"

    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def webhook_http_allowed(self) -> bool:
        return self.mode != "production" or self.webhook_allow_http

    def check_production(self) -> None:
        """Refuse to serve real data with a missing, short or demo secret."""
        if not self.secret_key:
            raise InsecureSettingsError("CROSSROADS_SECRET_KEY is not set")
        if self.secret_key.startswith(DEMO_SECRET_PREFIX):
            raise InsecureSettingsError("CROSSROADS_SECRET_KEY is the demo secret; generate a real one")
        if len(self.secret_key) < 32:
            raise InsecureSettingsError("CROSSROADS_SECRET_KEY must be at least 32 characters")
        if not self.exchange_signing_key:
            raise InsecureSettingsError("CROSSROADS_EXCHANGE_SIGNING_KEY is not set; generate one with "
                                        "`crossroads exchange signing-key`")
        try:
            decode_key_text(self.exchange_signing_key, SIGNER_PREFIX, "the signing key")
        except KeyFormatError as exc:
            raise InsecureSettingsError(f"CROSSROADS_EXCHANGE_SIGNING_KEY: {exc}") from None
        self.check_audit_keys()
        self.check_email()

    def check_email(self) -> None:
        """Refuse to send e-mail without a sender address or with links that lead nowhere."""
        if not self.email_enabled():
            return
        if not self.mail_from:
            raise InsecureSettingsError("CROSSROADS_MAIL_FROM is not set, and CROSSROADS_SMTP_HOST sends e-mail")
        if not self.base_url.startswith(("https://", "http://")):
            raise InsecureSettingsError("CROSSROADS_BASE_URL is not set: e-mail links back to Crossroads need it")

    def check_audit_keys(self) -> None:
        """Refuse a missing or unreadable audit signing key: heads could not be signed and the trail's
        tamper evidence would stop at its last head."""
        try:
            text = self.audit_key_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise InsecureSettingsError(f"CROSSROADS_AUDIT_SIGNING_KEY_FILE: cannot read it ({type(exc).__name__})"
                                        ) from None
        if not text:
            raise InsecureSettingsError("CROSSROADS_AUDIT_SIGNING_KEY is not set; generate one with "
                                        "`crossroads audit keygen`")
        try:
            load_signing_key(text, "the audit signing key")
        except KeyFormatError as exc:
            raise InsecureSettingsError(f"CROSSROADS_AUDIT_SIGNING_KEY: {exc}") from None
        try:
            for public in self.audit_public_key_texts():
                load_public_key(public, "each key")
        except KeyFormatError as exc:
            raise InsecureSettingsError(f"CROSSROADS_AUDIT_PUBLIC_KEYS: {exc}") from None


@lru_cache
def get_settings() -> Settings:
    return Settings()
