"""Which installed packages differ from the lock file: run by `make test-latest` in the newest-versions
environment, so a failure there can be read against what changed."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def locked_versions(lock_file: Path) -> dict[str, str]:
    """name → version from a hashed requirements file (`name==1.2 ; marker \\` lines)."""
    pins = (PIN.match(line) for line in lock_file.read_text(encoding="utf-8").splitlines())
    return {normalize(m.group(1)): m.group(2) for m in pins if m}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(lock_path: str) -> int:
    locked = locked_versions(Path(lock_path))
    changed = []
    for dist in metadata.distributions():
        name = normalize(dist.metadata["Name"])
        if name == "oasis":
            continue
        if name not in locked:
            changed.append(f"  {name}: not locked -> {dist.version}")
        elif locked[name] != dist.version:
            changed.append(f"  {name}: {locked[name]} (locked) -> {dist.version}")
    if not changed:
        print(f"{lock_path} already has the newest allowed versions.")
    else:
        print(f"Newest allowed versions that differ from {lock_path}:", *sorted(changed), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements-dev.txt"))
