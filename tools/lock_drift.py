"""Which installed packages differ from uv.lock: run by `make test-latest` in the newest-versions environment,
so a failure there can be read against what changed."""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path


def locked_versions(lock_file: Path) -> dict[str, str]:
    data = tomllib.loads(lock_file.read_text(encoding="utf-8"))
    return {pkg["name"]: pkg["version"] for pkg in data.get("package", []) if "version" in pkg}


def normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def main(lock_path: str) -> int:
    locked = {normalize(name): version for name, version in locked_versions(Path(lock_path)).items()}
    changed = []
    for dist in metadata.distributions():
        name = normalize(dist.metadata["Name"])
        if name in locked and locked[name] != dist.version:
            changed.append(f"  {name}: {locked[name]} (uv.lock) -> {dist.version}")
        elif name not in locked:
            changed.append(f"  {name}: not in uv.lock -> {dist.version}")
    print("Newest allowed versions that differ from uv.lock:" if changed else "uv.lock already has the newest "
          "allowed versions.")
    print("\n".join(sorted(changed)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "uv.lock"))
