"""System checks of the run-health and retention settings: a value that would make a
service destroy data or spin (a retention of zero days deletes every finished run at
once) is a configuration error, reported by ``manage.py check`` and every command."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# Setting -> (smallest allowed value, whether the smallest itself is allowed).
_BOUNDS: dict[str, tuple[float, bool]] = {
    "PREFECT_API_SERVICES_CRASHED_RUNS_LOOP_SECONDS": (0.0, False),
    "PREFECT_API_SERVICES_CRASHED_RUNS_AFTER_SECONDS": (0.0, False),
    "PREFECT_API_SERVICES_CANCELLATION_CLEANUP_TIMEOUT_SECONDS": (0.0, True),
    "PREFECT_API_SERVICES_RETENTION_LOOP_SECONDS": (0.0, False),
    "PREFECT_API_SERVICES_RETENTION_DAYS": (0.0, False),
}


@register()
def check_run_health_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """One error per run-health or retention setting out of its range."""
    errors = []
    for index, (name, (lowest, inclusive)) in enumerate(_BOUNDS.items(), start=1):
        value = float(getattr(settings, name))
        in_range = value >= lowest if inclusive else value > lowest
        if math.isnan(value) or not in_range:
            bound = f">= {lowest:g}" if inclusive else f"> {lowest:g}"
            errors.append(
                Error(
                    f"{name} is {value:g}; it must be {bound}.",
                    hint="To turn the service off, set its _ENABLED flag to false instead.",
                    id=f"orion.run_health.E{index:03d}",
                )
            )
    return errors
