"""Read settings from the environment, and keep the embedded mode's generated secrets."""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def local_secrets(path: Path) -> dict[str, str]:
    """Return the embedded mode's secrets, generating them into `path` on first use.

    A self-hosted install must work without anyone inventing a SECRET_KEY or a Fernet
    key, yet those values must survive restarts (sessions, encrypted API keys). They are
    written once, readable by the owner only, to a file that git ignores.
    """
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                values[name.strip()] = value.strip()
    wanted = {
        "SECRET_KEY": lambda: secrets.token_urlsafe(50),
        "RELAY_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode(),
    }
    missing = {name: make() for name, make in wanted.items() if not values.get(name)}
    if missing:
        values.update(missing)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = "# Generated once by Relay for the embedded mode. Never commit this file.\n"
        content += "".join(f"{name}={value}\n" for name, value in values.items())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
    return values


def owner_only_database(path: Path) -> None:
    """Make the SQLite database and its WAL files readable by their owner only (0600), creating
    the database file empty if it is missing: SQLite gives the -wal and -shm files it creates the
    database file's mode, so they follow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            candidate.chmod(0o600)
