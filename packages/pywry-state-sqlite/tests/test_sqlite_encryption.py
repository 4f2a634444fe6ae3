"""Encryption at rest: SQLCipher, the three key sources, wrong keys, the plain fallback."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pywry.errors import ConfigurationError
from pywry.state.records import WidgetRecord
from pywry_state_sqlite import SQLiteBackend, is_encrypted, keyring_user, salt_path
from sqlite_support import child_env, finish_child, run_child, start_child

MARKER = "marker-7f3a91-visible-only-when-decrypted"


def _digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


async def _store_marker(db: Path) -> None:
    async with SQLiteBackend(db) as backend:
        await backend.widgets.register(WidgetRecord(widget_id="w", title=MARKER), ttl=600)


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = "correct horse battery staple"
    monkeypatch.setenv("PYWRY_SQLITE_KEY", value)
    return value


async def test_encrypted_file_is_unreadable_to_stdlib_sqlite(db_path: Path, key: str) -> None:
    assert is_encrypted() is True
    async with SQLiteBackend(db_path) as backend:
        assert backend.encrypted is True
        assert backend.describe()["encrypted"] is True
        await backend.widgets.register(WidgetRecord(widget_id="w", title=MARKER), ttl=600)
        for path in db_path.parent.iterdir():  # the -wal file too, while it is open
            assert MARKER.encode() not in path.read_bytes(), path.name
    plain = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            plain.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        plain.close()
    async with SQLiteBackend(db_path) as backend:
        record = await backend.widgets.get("w")
        assert record is not None
        assert record.title == MARKER


async def test_wrong_key_fails_clearly_and_leaves_the_file_unchanged(
    db_path: Path, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _store_marker(db_path)
    before = _digest(db_path.parent)
    monkeypatch.setenv("PYWRY_SQLITE_KEY", "not the right passphrase")
    backend = SQLiteBackend(db_path)
    with pytest.raises(ConfigurationError) as caught:
        await backend.start()
    message = str(caught.value)
    assert f"PYWRY_SQLITE_KEY does not open {db_path}" in message
    assert "left unchanged" in message
    assert _digest(db_path.parent) == before
    await backend.aclose()
    monkeypatch.setenv("PYWRY_SQLITE_KEY", key)
    async with SQLiteBackend(db_path) as reopened:
        assert await reopened.widgets.get("w") is not None


async def test_passphrase_with_quotes_is_passed_safely(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYWRY_SQLITE_KEY", "it's \"quoted\"'; PRAGMA key = 'x'; --")
    await _store_marker(db_path)
    async with SQLiteBackend(db_path) as backend:
        assert await backend.widgets.get("w") is not None


def test_sqlcipher_does_not_write_its_own_log_on_a_wrong_key(tmp_path: Path, db_path: Path) -> None:
    env = child_env(tmp_path, PYWRY_SQLITE_KEY="first")
    finish_child(start_child(db_path, env, "describe"))
    wrong = run_child(db_path, {**env, "PYWRY_SQLITE_KEY": "second"}, "describe")
    assert wrong.returncode != 0
    assert "PYWRY_SQLITE_KEY does not open" in wrong.stderr
    assert "ERROR CORE" not in wrong.stderr
    assert "hmac check failed" not in wrong.stderr


def test_salt_file_and_directory_modes(db_path: Path, key: str) -> None:
    asyncio.run(_store_marker(db_path))
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(salt_path(db_path).stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert len(salt_path(db_path).read_bytes()) == 32


def test_existing_directory_mode_is_left_alone(tmp_path: Path, key: str) -> None:
    tmp_path.chmod(0o755)
    asyncio.run(_store_marker(tmp_path / "pywry.db"))
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


async def test_missing_salt_file_is_not_recreated(db_path: Path, key: str) -> None:
    await _store_marker(db_path)
    salt_path(db_path).unlink()
    with pytest.raises(ConfigurationError, match=r"salt file .* is missing"):
        await SQLiteBackend(db_path).start()
    assert not salt_path(db_path).exists()


def test_keyring_source_with_a_file_keyring(tmp_path: Path, db_path: Path) -> None:
    env = child_env(tmp_path, PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring")
    facts, _ = finish_child(start_child(db_path, env, "describe"))
    assert facts["encrypted"] is True
    assert facts["key_source"] == "keyring"
    assert not salt_path(db_path).exists(), "a keyring key needs no salt file"
    stored = Path(env["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"
    text = stored.read_text()
    assert "[pywry]" in text
    assert keyring_user(db_path).split(":")[0] in text

    finish_child(start_child(db_path, env, "put", "kw", "ks"))
    facts, _ = finish_child(start_child(db_path, env, "describe"))
    assert facts["key_source"] == "keyring"

    # Without the keyring entry the database is not re-created or re-keyed.
    before = _digest(db_path.parent)
    stored.unlink()
    lost = run_child(db_path, env, "describe")
    assert lost.returncode != 0
    assert "No key for the encrypted database" in lost.stderr
    assert _digest(db_path.parent) == before


def test_host_key_from_the_salt_file(tmp_path: Path, db_path: Path) -> None:
    env = child_env(tmp_path)  # the failing keyring backend: no usable keyring
    facts, _ = finish_child(start_child(db_path, env, "describe"))
    assert facts["encrypted"] is True
    assert facts["key_source"] == "salt-file"
    assert stat.S_IMODE(salt_path(db_path).stat().st_mode) == 0o600
    finish_child(start_child(db_path, env, "put", "hw", "hs"))
    facts, _ = finish_child(start_child(db_path, env, "describe"))
    assert facts["key_source"] == "salt-file"
    wrong = run_child(db_path, {**env, "PYWRY_SQLITE_KEY": "guess"}, "describe")
    assert "PYWRY_SQLITE_KEY does not open" in wrong.stderr


def test_without_the_binding_plain_sqlite_and_one_warning(
    tmp_path: Path, db_path: Path, hide_sqlcipher: dict[str, str]
) -> None:
    env = child_env(tmp_path, **hide_sqlcipher)
    code = (
        "import asyncio, json, sys\n"
        "from pywry_state_sqlite import SQLiteBackend, is_encrypted\n"
        "async def main():\n"
        "    for _ in range(2):\n"
        "        async with SQLiteBackend(sys.argv[1]) as b:\n"
        "            print(json.dumps({**b.describe(), 'flag': is_encrypted()}))\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stderr.count("NOT encrypted at rest") == 1, done.stderr
    assert "pip install sqlcipher3-binary" in done.stderr
    assert '"encrypted": false' in done.stdout
    assert '"flag": false' in done.stdout
    plain = sqlite3.connect(db_path)
    try:
        assert plain.execute("SELECT version FROM schema_version").fetchall() == [(1,), (2,), (3,)]
    finally:
        plain.close()
    # With the binding back, the plain file is refused rather than overwritten.
    before = _digest(db_path.parent)
    refused = run_child(db_path, child_env(tmp_path, PYWRY_SQLITE_KEY="k"), "describe")
    assert refused.returncode != 0
    assert "not a database encrypted by PyWry" in refused.stderr
    assert _digest(db_path.parent) == before
