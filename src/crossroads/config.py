"""The one settings class. Secrets come only from the environment (prefix CROSSROADS_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from crossroads.kit.keytext import SIGNER_PREFIX, KeyFormatError, decode_key_text

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
    session_hours: int = 12
    token_hours: int = 8
    # Login throttling (auth/throttle.py): failures per source and account, and per source, within the window;
    # failures against one account in a day before its growing delay begins, and the cap of that delay.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_source_max_failures: int = Field(default=20, ge=1)
    login_account_free_failures: int = Field(default=10, ge=1)
    login_account_max_delay_seconds: int = Field(default=300, ge=1)
    default_locale: str = "en"
    # Lower argon2 cost only for the test suite; production keeps argon2-cffi's RFC 9106 defaults.
    argon2_fast: bool = False
    data_dir: Path = Path("./data")
    # The agency's Ed25519 key that signs exchange packages ("ed25519:" + base64 seed; see
    # `crossroads exchange signing-key`). Partners pin its public half.
    exchange_signing_key: str = ""

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
