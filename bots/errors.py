"""Every failure a user can cause, as a translated sentence. Codes come from core.errors."""

from __future__ import annotations

from bots.i18n import N_, Translator
from bots.neutral import RichText
from bots.outbox_render import status_label as label
from bots.sanitize import excerpt
from core.errors import OasisError

MESSAGES: dict[str, str] = {
    "proposal_not_found": N_("There is no proposal #{id}."),
    "vote_not_open": N_("#{id} is {status}: support is only possible while a proposal is open."),
    "unvote_not_open": N_("#{id} is {status}: support can only be withdrawn while a proposal is open."),
    "withdraw_not_open": N_("#{id} is {status}: only an open proposal can be withdrawn."),
    "not_author": N_("Only the author of #{id} can do that."),
    "comment_closed": N_("#{id} is {status}: it takes no more comments."),
    "room_message_not_found": N_("There is no room message m{id}."),
    "not_your_message": N_("Only its author can delete room message m{id}."),
    "moderators_only": N_("Only moderators can do that."),
    "already_hidden": N_("Room message m{id} is hidden already."),
    "not_hidden": N_("Room message m{id} is not hidden."),
    "report_own": N_("You cannot report your own message; reply /delete to it to delete it."),
    "already_reported": N_("You reported m{id} already."),
    "reason_empty": N_("Please give a reason: the person is told why."),
    "reason_too_long": N_("The reason is {length} characters long; the limit is {limit}."),
    "need_room_message_to_hide": N_("Reply /hide <reason> to the message in the room, or send /hide m<id> <reason> "
                                    "(or /hide <proposal id> <reason> for a proposal)."),
    "need_room_message_to_report": N_("Reply /report <reason> to the message in the room, or send "
                                      "/report m<id> <reason>."),
    "need_room_message": N_("Reply /delete to your own message in the room, or send /delete m<id>."),
    "title_empty": N_("The title is empty. Please write a short title."),
    "title_too_long": N_("The title is {length} characters long; the limit is {limit}. Please shorten it."),
    "description_empty": N_("The description is empty. Please describe your idea."),
    "description_too_long": N_("The description is {length} characters long; the limit is {limit}."),
    "comment_empty": N_("The comment is empty."),
    "comment_too_long": N_("The comment is {length} characters long; the limit is {limit}."),
    "explanation_empty": N_("A rejection needs an explanation: citizens are owed concrete reasons."),
    "explanation_too_long": N_("The explanation is {length} characters long; the limit is {limit}."),
    "unknown_category": N_("There is no category \"{category}\"."),
    "unknown_department": N_("There is no department \"{department}\"."),
    "unknown_reason_code": N_("Unknown reason code \"{code}\". Use one of: {codes}."),
    "unknown_recommendation": N_("Write forward or reject."),
    "opinion_empty": N_("The opinion is empty. Please write the department's opinion."),
    "bad_budget": N_("\"{value}\" is not an amount in KRW. Write digits, for example 1,200,000, or - if unknown."),
    "staff_only": N_("Only officials and administrators can do that."),
    "not_your_department": N_("#{id} belongs to the {department} department, which is not yours."),
    "review_not_under_review": N_(
        "#{id} is {status}: a department opinion can only be written while it is under review."
    ),
    "bad_transition": N_("#{id} is {status} and cannot move to {target}."),
    "unknown_role": N_("Unknown role \"{role}\"."),
    "department_required": N_("An official needs a department."),
    "department_only_for_officials": N_("Only officials have a department."),
    "need_id": N_("Please give a proposal number, for example 12 or #12."),
    "link_locked": N_("Too many wrong codes. Please wait {minutes} minutes and try again."),
    "vote_needs_linked_account": N_("Support counts only from people with a messenger account. Send /link here "
                                    "for a code, then send /link with that code to Oasis on Telegram or Slack."),
    "link_same_account": N_("This code is your own: send it from your other messenger."),
    "notify_no_account": N_("You have no linked {platform} account. Link it first with /link."),
    "decision_empty": N_("Please give the reasons for the decision: citizens read exactly this."),
    "decision_too_long": N_("The decision's text is {length} characters long; the limit is {limit}."),
    "update_empty": N_("Please say what was done: citizens read exactly this."),
    "update_too_long": N_("The update is {length} characters long; the limit is {limit}."),
    "need_department": N_("Write /route <id> <department code>, for example /route 12 environment."),
    "route_not_now": N_("#{id} is {status}: only an open proposal or one under review can be sent elsewhere."),
    "route_same": N_("#{id} is with that department already."),
    "call_not_found": N_("There is no themed call {id}."),
    "call_not_open": N_("The themed call \"{title}\" is not open now. /calls lists the open ones."),
    "call_closes_before_it_opens": N_("A call must close after it opens."),
    "call_closes_in_the_past": N_("That closing time has passed already."),
    "call_title_empty": N_("The call needs a title."),
    "call_title_too_long": N_("The title is {length} characters long; the limit is {limit}."),
    "call_not_your_department": N_("Only the {department} department's officials can open its calls."),
    "bad_moment": N_("\"{value}\" is not a time: write it like 2026-12-01T09:00."),
    "need_call_new": N_("Write /call new to open a themed call."),
    "unknown_topic": N_("There is no topic \"{topic}\". Topics: {topics}."),
    "need_topic": N_("Write /unsubscribe <topic>, one of: {topics}."),
    "panel_only": N_("Only members of the expert panels can do that."),
    "admin_only": N_("Only administrators can do that."),
    "evaluate_not_in_panel": N_("#{id} is {status}: it can only be evaluated while it is with the expert panel."),
    "need_scores": N_("Give four scores from 1 to 5: /evaluate <id> <necessity> <effectiveness> <feasibility> "
                      "<budget fit> [comment]."),
    "bad_score": N_("\"{value}\" is not a score: write a whole number from 1 to 5."),
    "need_decision": N_("Write /decide <id> adopt <text> or /decide <id> reject <code> <text>."),
    "unknown_decision": N_("Write adopt or reject, not \"{value}\"."),
    "decide_not_in_panel": N_("#{id} is {status}: the decision is taken while it is with the expert panel."),
    "panel_quorum_missing": N_("#{id} cannot be decided yet: each panel needs {quorum} evaluations; so far the "
                               "internal panel has {internal} and the external panel {external}."),
    "unknown_progress": N_("Write /progress <id> implementing <text> or /progress <id> implemented <text>."),
    "progress_not_adopted": N_("#{id} is {status}: implementation is recorded once it is adopted."),
}


def error_text(error: OasisError, t: Translator) -> RichText:
    """Translate a domain error; status codes inside it are shown as people read them."""
    params: dict[str, object] = {"code": error.code, **error.params}  # an error may name a code it refused
    for key, value in params.items():
        if isinstance(value, str):
            params[key] = excerpt(value)  # a refused value is quoted, never echoed whole
    for key in ("status", "target"):
        if key in params:
            params[key] = label(str(params[key]), t)
    template = MESSAGES.get(error.code, N_("That did not work ({code})."))
    return t.tr(template, **params)

