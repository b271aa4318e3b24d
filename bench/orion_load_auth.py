"""Run ``orion_load.py`` (the shared load generator) sending ``Authorization: Bearer <key>``.

The shared script has no header option, so this wrapper loads it by path and adds the
header to both of its HTTP clients, as ``PREFECT_API_KEY`` makes the real client do:

    .venv/bin/python bench/orion_load_auth.py --api-key orion_... -- --api-url http://127.0.0.1:PORT/api --workload engine ...

``--load-script`` points at orion_load.py (default: ``$ORION_SHARED_BENCH/orion_load.py``,
else ``../shared/bench/orion_load.py`` next to the repository). Everything after ``--``
goes to orion_load.py unchanged.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
DEFAULT_SCRIPT = Path(os.environ.get("ORION_SHARED_BENCH", HERE.parent.parent / "shared" / "bench")) / "orion_load.py"


def load_module(path: Path) -> ModuleType:
    """Import orion_load.py from ``path``."""
    spec = importlib.util.spec_from_file_location("orion_load", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["orion_load"] = module
    spec.loader.exec_module(module)
    return module


def add_bearer(module: ModuleType, key: str) -> None:
    """Make every request of both clients carry the bearer header."""
    raw_init = module.RawHTTP.__init__

    def raw(self, api_url, timeout):  # noqa: ANN001 - the wrapped signature
        raw_init(self, api_url, timeout)
        self.static += f"Authorization: Bearer {key}\r\n"

    module.RawHTTP.__init__ = raw
    httpx_init = module.HttpxHTTP.__init__

    def via_httpx(self, api_url, timeout):  # noqa: ANN001
        httpx_init(self, api_url, timeout)
        self.c.headers["Authorization"] = f"Bearer {key}"

    module.HttpxHTTP.__init__ = via_httpx


def main(argv: list[str] | None = None) -> int:
    """Parse our two options, patch the clients, run orion_load's main with the rest."""
    argv = list(sys.argv[1:] if argv is None else argv)
    rest = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-key", default=os.environ.get("PREFECT_API_KEY"), help="token to send (default: $PREFECT_API_KEY)")
    parser.add_argument("--load-script", type=Path, default=DEFAULT_SCRIPT)
    options = parser.parse_args(own)
    module = load_module(options.load_script)
    if options.api_key:
        add_bearer(module, options.api_key)
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
