"""Generate ``api/blocks/builtin/*.json`` from the real ``prefect==2.8.7`` client.

The Orion server registers a catalogue of block types and schemas at start-up.  The
client finds those schemas again by checksum, so the catalogue must be exactly what the
2.8.7 client computes -- re-deriving it by hand is how checksums drift.  This script is
therefore run ONCE (and again only if the target Prefect version changes), inside a
throw-away virtualenv that has the real client installed, never by the product itself:

    python3 -m venv /tmp/prefect287
    /tmp/prefect287/bin/pip install -r tests/compat/requirements-prefect-2.8.7.txt
    /tmp/prefect287/bin/python api/blocks/generate_builtin_blocks.py

It mirrors what a fresh 2.8.7 server registers (spec: services.md §9):

* every Block class in the client's block registry after ``import prefect`` (which
  imports ``prefect.blocks.*``, ``prefect.filesystems``, ``prefect.infrastructure.*`` and
  the notification / kubernetes blocks) -- built with the client's own
  ``_to_block_type()`` / ``_to_block_schema()``;
  the six "system" blocks among them are protected;
* the block types of the Prefect collections (prefect-aws, -azure, -databricks, -gcp)
  that 2.8.7 ships as ``prefect/server/collection_blocks_data.json``.

Outputs (both deterministic, so re-running produces no diff):

* ``builtin/builtin_blocks.json``: list of block types ordered by slug, each with its
  single ``block_schema`` (checksum, fields -- ``secret_fields`` kept inside --,
  sorted capabilities, version).  ``description`` / ``code_example`` are stored raw, as
  the client sends them; HTML escaping on create is the registration code's job
  (data-model.md §5.6).
* ``builtin/block_capabilities.json``: sorted list of every capability in use.

Every checksum is verified three ways before anything is written: the client's value,
the client's recipe re-applied to the JSON round-tripped ``fields`` (what the server
will receive), and our own ``api/blocks/checksums.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
OUTPUT_DIR = HERE / "builtin"
BLOCKS_FILE = OUTPUT_DIR / "builtin_blocks.json"
CAPABILITIES_FILE = OUTPUT_DIR / "block_capabilities.json"

EXPECTED_PREFECT_VERSION = "2.8.7"

# Running ``python api/blocks/generate_builtin_blocks.py`` puts this directory first on
# sys.path; a module here could then shadow a stdlib/prefect module during
# ``import prefect``.  Nothing in this script imports from this directory by name.
if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
    sys.path.pop(0)

# The block types a 2.8.7 server installs with ``is_protected = true`` (the list in
# ``_install_protected_system_blocks``; services.md §9.1), keyed by slug.
PROTECTED_SLUGS = frozenset(
    {"webhook", "json", "date-time", "secret", "local-file-system", "process"}
)

BLOCK_TYPE_KEYS = (
    "name",
    "slug",
    "logo_url",
    "documentation_url",
    "description",
    "code_example",
)


def _load_our_checksum_function() -> Callable[[dict[str, Any]], str]:
    """Import ``checksums.py`` by file path (the ``api`` package needs Django; this doesn't)."""
    spec = importlib.util.spec_from_file_location("_orion_checksums", HERE / "checksums.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compute_block_schema_checksum


def _json_round_trip(value: Any) -> Any:
    """What the server sees after the value crosses the wire as JSON."""
    return json.loads(json.dumps(value))


def _core_entries() -> list[dict[str, Any]]:
    """Block types from the client's registry, built with the client's own methods."""
    import prefect  # noqa: F401  (importing prefect populates the block registry)
    from prefect.blocks.core import Block
    from prefect.utilities.dispatch import get_registry_for_type

    if prefect.__version__ != EXPECTED_PREFECT_VERSION:
        sys.exit(f"expected prefect {EXPECTED_PREFECT_VERSION}, found {prefect.__version__}")

    entries = []
    for slug, block_class in sorted((get_registry_for_type(Block) or {}).items()):
        # Installed collection packages register their blocks through entry points
        # (prefect.plugins); their versions vary with the environment, and 2.8.7 takes
        # its collection blocks from the bundled JSON instead -- keep only core blocks.
        if not block_class.__module__.startswith("prefect."):
            print(f"skipping non-core block {slug} ({block_class.__module__})", file=sys.stderr)
            continue

        # json_compatible=True gives the exact values the client puts on the wire.
        block_type = block_class._to_block_type().dict(json_compatible=True)
        block_schema = block_class._to_block_schema().dict(json_compatible=True)
        fields = _json_round_trip(block_schema["fields"])

        checksum = block_class._calculate_schema_checksum()
        assert block_schema["checksum"] == checksum, slug
        # The server recomputes the checksum from the fields it receives.
        assert Block._calculate_schema_checksum(fields) == checksum, slug
        assert block_type["slug"] == slug, slug

        entry = {key: block_type[key] for key in BLOCK_TYPE_KEYS}
        entry["is_protected"] = slug in PROTECTED_SLUGS
        entry["source"] = "prefect"
        entry["block_schema"] = {
            "checksum": checksum,
            "version": block_schema["version"],
            "capabilities": sorted(block_schema["capabilities"]),
            "fields": fields,
        }
        entries.append(entry)
    return entries


def _collection_entries() -> list[dict[str, Any]]:
    """Block types from the collection catalogue bundled with the 2.8.7 server."""
    import prefect
    from prefect.blocks.core import Block

    data_path = Path(prefect.__file__).parent / "server" / "collection_blocks_data.json"
    data = json.loads(data_path.read_text(encoding="utf-8"))

    entries = []
    for collection_name, collection in sorted(data["collections"].items()):
        for slug, block_type in sorted(collection["block_types"].items()):
            schemas = block_type["block_schemas"]
            # The output format has one schema per type; fail loudly rather than drop one.
            if len(schemas) != 1:
                sys.exit(f"{slug}: expected exactly one block schema, got {len(schemas)}")
            schema = schemas[0]
            fields = schema["fields"]
            # The server recomputes checksums on registration; make sure the bundled
            # value is the one the client recipe yields.
            assert Block._calculate_schema_checksum(fields) == schema["checksum"], slug
            assert block_type["slug"] == slug, slug

            entry = {key: block_type.get(key) for key in BLOCK_TYPE_KEYS}
            entry["is_protected"] = False
            entry["source"] = collection_name
            entry["block_schema"] = {
                "checksum": schema["checksum"],
                "version": schema["version"],
                "capabilities": sorted(schema["capabilities"]),
                "fields": fields,
            }
            entries.append(entry)
    return entries


def _check_references(entries: list[dict[str, Any]]) -> None:
    """Warn about nested-block references that the catalogue cannot satisfy.

    A nested block (``block_schema_references``) found by (slug, checksum) elsewhere in
    the catalogue is registered in its own right; one that is not will have to be
    created from the parent's ``definitions`` at registration time.
    """
    known = {(e["slug"], e["block_schema"]["checksum"]) for e in entries}
    for entry in entries:
        refs = entry["block_schema"]["fields"].get("block_schema_references", {})
        for field_name, ref in refs.items():
            for one in ref if isinstance(ref, list) else [ref]:
                key = (one["block_type_slug"], one["block_schema_checksum"])
                if key not in known:
                    print(
                        f"note: {entry['slug']}.{field_name} references {key[0]} "
                        f"{key[1]} which is only available via definitions",
                        file=sys.stderr,
                    )


def main() -> None:
    """Build, verify and write the built-in block catalogue."""
    our_checksum = _load_our_checksum_function()

    entries = sorted(_core_entries() + _collection_entries(), key=lambda e: e["slug"])
    slugs = [e["slug"] for e in entries]
    if len(slugs) != len(set(slugs)):
        sys.exit(f"duplicate slugs: {sorted(s for s in slugs if slugs.count(s) > 1)}")
    missing = PROTECTED_SLUGS - set(slugs)
    if missing:
        sys.exit(f"protected block types missing from the registry: {sorted(missing)}")

    for entry in entries:
        schema = entry["block_schema"]
        computed = our_checksum(schema["fields"])
        if computed != schema["checksum"]:
            sys.exit(f"{entry['slug']}: checksums.py gives {computed}, client {schema['checksum']}")
    _check_references(entries)

    capabilities = sorted({c for e in entries for c in e["block_schema"]["capabilities"]})

    OUTPUT_DIR.mkdir(exist_ok=True)
    # Key order inside ``fields`` is kept as the client produced it (the UI renders
    # properties in that order); it does not affect checksums (sorted before hashing).
    BLOCKS_FILE.write_text(
        json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    CAPABILITIES_FILE.write_text(json.dumps(capabilities, indent=2) + "\n", encoding="utf-8")

    core = sum(1 for e in entries if e["source"] == "prefect")
    print(
        f"wrote {len(entries)} block types ({core} core, {len(entries) - core} from "
        f"collections, {sum(e['is_protected'] for e in entries)} protected) to {BLOCKS_FILE}"
    )
    print(f"wrote {len(capabilities)} capabilities to {CAPABILITIES_FILE}: {capabilities}")


if __name__ == "__main__":
    main()
