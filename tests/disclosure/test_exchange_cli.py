"""`crossroads exchange keygen` and `open`, as a recipient runs them."""

from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from typer.testing import CliRunner

from crossroads.audit.keys import private_key_text
from crossroads.cli import app
from crossroads.config import InsecureSettingsError, Settings
from crossroads.disclosure.engine import exchange as x

runner = CliRunner()


@pytest.fixture
def recipient(tmp_path):
    key = tmp_path / "partner.key"
    result = runner.invoke(app, ["exchange", "keygen", "--output", str(key)])
    assert result.exit_code == 0, result.output
    return key


@pytest.fixture
def agency():
    return x.generate_signing_key()


def package_for(recipient_key, agency, tmp_path, files=None):
    public = x.parse_public_key((recipient_key.parent / (recipient_key.name + ".pub")).read_text())
    path = tmp_path / "release.crxpkg"
    path.write_bytes(x.seal_package(files or {"release.csv": b"a,b\n1,2\n"}, metadata={}, recipient=public,
                                    signer=agency))
    return path


def open_cmd(package, key, signer, out):
    return runner.invoke(app, ["exchange", "open", str(package), "--key", str(key), "--signer", signer,
                               "--output", str(out)])


class TestKeygen:
    def test_writes_a_private_key_only_the_owner_reads_and_the_public_key(self, recipient):
        assert stat.S_IMODE(recipient.stat().st_mode) == 0o600
        public = (recipient.parent / "partner.key.pub").read_text().strip()
        assert x.public_key_text(x.load_private_key(recipient.read_bytes())) == public

    def test_never_overwrites_a_key(self, recipient):
        result = runner.invoke(app, ["exchange", "keygen", "--output", str(recipient)])
        assert result.exit_code == 2
        assert "already exists" in result.output


class TestOpen:
    def test_verifies_decrypts_and_writes_the_files(self, recipient, agency, tmp_path):
        package = package_for(recipient, agency, tmp_path)
        out = tmp_path / "out"
        result = open_cmd(package, recipient, x.signer_public_text(agency), out)
        assert result.exit_code == 0, result.output
        assert (out / "release.csv").read_bytes() == b"a,b\n1,2\n"
        assert "signature verified" in result.output

    def test_reads_the_agency_key_from_a_file(self, recipient, agency, tmp_path):
        signer_file = tmp_path / "agency.pub"
        signer_file.write_text(x.signer_public_text(agency))
        result = open_cmd(package_for(recipient, agency, tmp_path), recipient, str(signer_file), tmp_path / "o")
        assert result.exit_code == 0, result.output

    def test_tampered_package_is_refused_and_nothing_written(self, recipient, agency, tmp_path):
        package = package_for(recipient, agency, tmp_path)
        data = bytearray(package.read_bytes())
        data[len(data) // 2] ^= 1
        package.write_bytes(bytes(data))
        out = tmp_path / "out"
        result = open_cmd(package, recipient, x.signer_public_text(agency), out)
        assert result.exit_code == 1
        assert "altered" in result.output and "Nothing was written" in result.output
        assert not out.exists()

    def test_wrong_key_is_refused(self, recipient, agency, tmp_path):
        package = package_for(recipient, agency, tmp_path)
        other = tmp_path / "other.key"
        runner.invoke(app, ["exchange", "keygen", "--output", str(other)])
        result = open_cmd(package, other, x.signer_public_text(agency), tmp_path / "out")
        assert result.exit_code == 1
        assert "encrypted for key" in result.output
        assert not (tmp_path / "out").exists()

    def test_wrong_signer_is_refused(self, recipient, agency, tmp_path):
        package = package_for(recipient, agency, tmp_path)
        result = open_cmd(package, recipient, x.signer_public_text(x.generate_signing_key()), tmp_path / "out")
        assert result.exit_code == 1
        assert "not by the agency key given" in result.output

    def test_malformed_signer_names_the_option(self, recipient, agency, tmp_path):
        result = open_cmd(package_for(recipient, agency, tmp_path), recipient, "ed25519:xyz", tmp_path / "out")
        assert result.exit_code == 2
        assert "--signer" in result.output

    def test_refuses_to_write_into_a_folder_with_files(self, recipient, agency, tmp_path):
        out = tmp_path / "out"
        out.mkdir()
        (out / "keep.txt").write_text("mine")
        result = open_cmd(package_for(recipient, agency, tmp_path), recipient, x.signer_public_text(agency), out)
        assert result.exit_code == 2
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


class TestSigningKey:
    def test_prints_a_key_the_settings_accept(self):
        result = runner.invoke(app, ["exchange", "signing-key"])
        assert result.exit_code == 0
        line = next(line for line in result.stdout.splitlines() if line.startswith("ed25519:"))
        x.parse_signing_key(line)


class TestProductionSettings:
    SECRET = "s" * 40

    def test_production_refuses_a_missing_signing_key(self):
        with pytest.raises(InsecureSettingsError, match="CROSSROADS_EXCHANGE_SIGNING_KEY is not set"):
            Settings(secret_key=self.SECRET, exchange_signing_key="").check_production()

    def test_production_refuses_a_malformed_signing_key(self):
        with pytest.raises(InsecureSettingsError, match="must start with 'ed25519:'"):
            Settings(secret_key=self.SECRET, exchange_signing_key="x25519:abc").check_production()

    def test_production_accepts_a_generated_signing_key(self):
        key = x.signing_key_text(x.generate_signing_key())
        # Production also needs the audit trail's own key (tests/test_config.py).
        audit_key = private_key_text(ed25519.Ed25519PrivateKey.generate())
        Settings(secret_key=self.SECRET, exchange_signing_key=key, audit_signing_key=audit_key).check_production()
