"""What counts as a secret, in one place: environment variable names (kept out of every sandbox),
key-shaped text (scrubbed from errors, reports and trajectories) and credential files under a home
folder (hidden from local sandbox runs). Keys never leave treefix's own process."""

from __future__ import annotations

import os
import re

_SECRET = re.compile(
    r"(API_KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|_AUTH|PRIVATE_KEY|SESSION)", re.I
)
# Shapes of provider keys, for texts echoing a key we were not told about.
_KEY_SHAPES = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,})")
_BEARER = re.compile(r"(?i)(bearer\s+|x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+")

# credentials under each home folder, covered inside the local sandbox (the host stays readable)
SECRET_NAMES = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
    ".config/gh",
    ".config/gcloud",
    ".config/hub",
    ".password-store",
    ".local/share/keyrings",
    ".anthropic",
    ".config/openai",
)


def is_secret(name: str) -> bool:
    """An environment variable that may hold a key, a token or a password."""
    return bool(_SECRET.search(name)) or name.startswith(
        ("AWS_", "GITHUB_TOKEN", "ANTHROPIC_", "OPENAI_")
    )


def secret_values(extra: tuple[str, ...] = ()) -> list[str]:
    vals = [v for k, v in os.environ.items() if is_secret(k) and len(v) >= 6]
    vals += [v for v in extra if v and len(v) >= 6]
    return sorted(set(vals), key=len, reverse=True)


def scrub(text: str, extra: tuple[str, ...] = ()) -> str:
    """`text` with every secret value of the environment (and `extra`) and key shapes as ***."""
    for value in secret_values(extra):
        if value in text:
            text = text.replace(value, "***")
    text = _KEY_SHAPES.sub("***", text)
    return _BEARER.sub(lambda m: m.group(1) + "***", text)


# files a model's read tools never open, whatever the project says (matched per path component)
_SECRET_FILE = re.compile(
    r"^(\.env(\..*)?|.*\.(pem|key|p12|pfx|keystore|jks)|id_(rsa|dsa|ecdsa|ed25519)(\.pub)?"
    r"|\.netrc|\.pypirc|\.npmrc|\.git-credentials|credentials(\.json)?|\.htpasswd)$",
    re.I,
)


def is_secret_path(path: str) -> bool:
    """A project file that may hold a credential: `.env`, keys, `.netrc`, `.git/`, or anything
    under a folder from SECRET_NAMES (`.ssh/`, `.aws/`...)."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if any(p == ".git" or _SECRET_FILE.match(p) for p in parts):
        return True
    joined = "/".join(parts)
    return any(
        joined == n or joined.startswith(n + "/") or f"/{n}/" in f"/{joined}/" for n in SECRET_NAMES
    )
