"""Block registration (``api.blocks.registration``) run by several processes at once:
they take turns under the registration lock, so none fails on ``uq_block_type__slug``
and the catalogue ends up registered once."""

from __future__ import annotations

from pathlib import Path

from api.blocks.builtin import load_builtin_blocks
from tests.compat import harness
from tests.fixtures.processes import race, run_django_script

_REGISTER = (
    "import os, django\n"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'orion_project.settings'\n"
    "django.setup()\n"
    "from api.blocks.registration import register_on_startup\n"
    "register_on_startup()\n"
)
_COUNTS = (
    "from api.models import BlockSchema, BlockType\n"
    "print(BlockType.objects.count(), BlockType.objects.values('slug').distinct().count(), BlockSchema.objects.count())\n"
)


def test_processes_registering_at_once_all_succeed_and_register_each_type_once(tmp_path: Path) -> None:
    with harness.migrated_database_env(tmp_path) as env:
        errors = [err for _, err in race(_REGISTER, env, 4)]
        assert not any("Traceback" in err for err in errors), "\n".join(errors)[-4000:]
        types, slugs, schemas = map(int, run_django_script(_COUNTS, env).split())
    assert types == slugs == len(load_builtin_blocks())
    assert schemas >= types
