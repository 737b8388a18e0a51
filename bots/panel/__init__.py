"""After the department's opinion: the expert panels' evaluations, the admin's decision, implementation."""

from __future__ import annotations

from bots.panel import decisions, evaluation, evaluation_form
from bots.router import Router

router = Router("panel").include_router(evaluation.router, evaluation_form.router, decisions.router)
