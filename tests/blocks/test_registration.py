"""Block registration (``api.blocks.registration``) run by several processes at once:
they take turns under the registration lock, so none fails on ``uq_block_type__slug``
and the catalogue ends up registered once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from api.blocks.builtin import load_builtin_blocks
from tests.compat import harness
from tests.services.conftest import run_django_script

REPO_ROOT = Path(__file__).resolve().parents[2]
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
        racers = [
            subprocess.Popen(
                [sys.executable, "-c", _REGISTER], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(4)
        ]
        errors = [racer.communicate(timeout=120)[1] for racer in racers]
        assert [racer.returncode for racer in racers] == [0] * 4, "\n".join(errors)[-4000:]
        assert not any("Traceback" in err for err in errors), "\n".join(errors)[-4000:]
        types, slugs, schemas = map(int, run_django_script(_COUNTS, env).split())
    assert types == slugs == len(load_builtin_blocks())
    assert schemas >= types
