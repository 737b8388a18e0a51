"""Forms for surfaces that can show one at once (Slack modals): the same use cases as the guided flows.

Each capability declares its forms on its router (bots/proposals/propose_form.py, bots/review/opinion_form.py);
each is answered by a `FormSubmit` of the same name; a refused field comes back beside its input (here).
"""

from __future__ import annotations

from bots.context import Ctx
from bots.errors import error_text
from bots.neutral import plain_text
from core.errors import OasisError

# Which input a refused value belongs to, by error code.
FIELD_OF = {
    "title_empty": "title", "title_too_long": "title",
    "description_empty": "description", "description_too_long": "description",
    "unknown_category": "category",
    "unknown_recommendation": "recommendation", "opinion_empty": "necessity",
    "unknown_reason_code": "reason_code", "explanation_empty": "explanation", "explanation_too_long": "explanation",
    "bad_budget": "budget",
}


def refuse(ctx: Ctx, error: OasisError, fallback_field: str) -> None:
    ctx.refuse_form({FIELD_OF.get(error.code, fallback_field): plain_text(error_text(error, ctx.t))})
