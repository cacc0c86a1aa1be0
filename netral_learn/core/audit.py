"""Who did what: every admin action is recorded through :func:`record`.

For now the record goes to the ``netral_learn.audit`` logger as one structured line.
"""
from __future__ import annotations

import json
import logging

logger = logging.getLogger("netral_learn.audit")


def record(actor, action: str, target: str, **details) -> None:
    """Record that ``actor`` did ``action`` to ``target`` (e.g. "person:42")."""
    logger.info(
        json.dumps(
            {"actor": getattr(actor, "id", None), "action": action, "target": target, **details},
            default=str,
            ensure_ascii=False,
        )
    )
