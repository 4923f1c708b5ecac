"""Every button the bot shows, declared once: its prefix and its fields (core.button_data).

Build a button with `ShowSection("g", procedure.id).button("📄 Giấy tờ")`; the route that
answers it names the class (`routing.button(handler, ShowSection)`) and its handler receives the
decoded action. The strings are the ones the bot always sent ("p:g:<id>", "h:v:<code key>"), so
buttons still on people's screens keep working; an old or forged string that no action reads
gets the "this button is old" reply (handlers.start).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.button_data import ACTIONS, Action
from core.dossiers import Status

# -- the main menu (handlers.start, fields, dossiers) -------------------------------------------


@dataclass(frozen=True)
class GoHome(Action, prefix="menu:start"):
    """ "Về đầu": leaves whatever step the person was in."""


@dataclass(frozen=True)
class AskPrompt(Action, prefix="menu:ask"):
    pass


@dataclass(frozen=True)
class Contact(Action, prefix="menu:contact"):
    commune: str | None = None  # issue 19: under a dossier card, the dossier's commune's office


@dataclass(frozen=True)
class ListFields(Action, prefix="menu:fields"):
    pass


@dataclass(frozen=True)
class LookupPrompt(Action, prefix="menu:lookup"):
    pass


# -- the catalogue (handlers.fields, procedures, checklists) -------------------------------------


@dataclass(frozen=True)
class ShowField(Action, prefix="f"):
    slug: str  # handlers.procedure_view.field_slug


@dataclass(frozen=True)
class ShowSection(Action, prefix="p"):
    section: str  # a key of handlers.procedure_view.SECTIONS; "c" is the card
    procedure_id: str


def procedure_card(procedure_id: str) -> ShowSection:
    return ShowSection("c", procedure_id)


@dataclass(frozen=True)
class PrintChecklist(Action, prefix="ck"):
    procedure_id: str


# -- dossiers (handlers.dossiers) ---------------------------------------------------------------


@dataclass(frozen=True)
class ViewDossier(Action, prefix="h:v"):
    code_key: str


@dataclass(frozen=True)
class AskToFollow(Action, prefix="h:f"):
    code_key: str


@dataclass(frozen=True)
class Follow(Action, prefix="h:y"):
    """Consent given: the chat follows the dossier."""

    code_key: str


@dataclass(frozen=True)
class DeclineFollow(Action, prefix="h:n"):
    pass


@dataclass(frozen=True)
class Unfollow(Action, prefix="h:u"):
    code_key: str


@dataclass(frozen=True)
class EraseMyData(Action, prefix="h:x"):
    pass


@dataclass(frozen=True)
class KeepMyData(Action, prefix="h:k"):
    pass


@dataclass(frozen=True)
class MyDossiers(Action, prefix="tv:h"):
    """ "📂 Hồ sơ đang theo dõi" (first shown to volunteers, hence the prefix)."""


# -- volunteers (handlers.volunteers) -------------------------------------------------------------


@dataclass(frozen=True)
class JoinVolunteers(Action, prefix="tv:c"):
    pass


@dataclass(frozen=True)
class VolunteerNotNow(Action, prefix="tv:n"):
    pass


@dataclass(frozen=True)
class SkipLabel(Action, prefix="tv:s"):
    code_key: str


@dataclass(frozen=True)
class AskNameConsent(Action, prefix="tv:k"):
    code_key: str


@dataclass(frozen=True)
class NameConsentGiven(Action, prefix="tv:ky"):
    code_key: str


@dataclass(frozen=True)
class ForwardText(Action, prefix="tv:m"):
    code_key: str


@dataclass(frozen=True)
class ApproveVolunteer(Action, prefix="tv:y"):
    user_id: str


@dataclass(frozen=True)
class RefuseVolunteer(Action, prefix="tv:r"):
    user_id: str


# -- ratings and notices (handlers.ratings, subscriptions) -----------------------------------------


@dataclass(frozen=True)
class Rate(Action, prefix="dg"):
    """The answers so far travel in the data (core.care.parse_scores reads them)."""

    code_key: str
    answers: str


@dataclass(frozen=True)
class SubscribeAll(Action, prefix="tb:a"):
    pass


@dataclass(frozen=True)
class SubscribeField(Action, prefix="tb:f"):
    slug: str


@dataclass(frozen=True)
class Unsubscribe(Action, prefix="tb:u"):
    pass


@dataclass(frozen=True)
class DeclineSubscription(Action, prefix="tb:n"):
    pass


# -- feedback (handlers.feedback) ------------------------------------------------------------------


@dataclass(frozen=True)
class WriteFeedback(Action, prefix="pa:w"):
    pass


@dataclass(frozen=True)
class CancelFeedback(Action, prefix="pa:n"):
    """The person stops writing, or the officer stops answering."""


@dataclass(frozen=True)
class AnswerFeedback(Action, prefix="pa:a"):
    feedback_id: int


# -- questions for an officer (handlers.tickets, ticket_buttons) -----------------------------------


@dataclass(frozen=True)
class AskOfficer(Action, prefix="ht:ask"):
    pass


@dataclass(frozen=True)
class CancelQuestion(Action, prefix="ht:n"):
    pass


@dataclass(frozen=True)
class EndQuestion(Action, prefix="ht:end"):
    """The person ends their question."""

    ticket_id: int


@dataclass(frozen=True)
class ClaimTicket(Action, prefix="ht:c"):
    ticket_id: int


@dataclass(frozen=True)
class ChoosePassTarget(Action, prefix="ht:p"):
    ticket_id: int


@dataclass(frozen=True)
class PassTicket(Action, prefix="ht:pt"):
    ticket_id: int
    channel: str
    user_id: str


@dataclass(frozen=True)
class CloseTicket(Action, prefix="ht:x"):
    ticket_id: int


@dataclass(frozen=True)
class PauseTicket(Action, prefix="ht:z"):
    pass


@dataclass(frozen=True)
class TicketDesk(Action, prefix="ht:l"):
    pass


# -- broadcasts (handlers.broadcasts) --------------------------------------------------------------


@dataclass(frozen=True)
class DraftFromProcedure(Action, prefix="b:p"):
    pass


@dataclass(frozen=True)
class DraftField(Action, prefix="b:pf"):
    slug: str


@dataclass(frozen=True)
class DraftProcedure(Action, prefix="b:pp"):
    procedure_id: str


@dataclass(frozen=True)
class UseDraft(Action, prefix="b:u"):
    pass


@dataclass(frozen=True)
class ChooseAudience(Action, prefix="b:a"):
    """Without a topic: show the audiences again ("Đổi người nhận")."""

    topic: str | None = None


@dataclass(frozen=True)
class BroadcastCommunes(Action, prefix="b:w"):
    """Issue 19 point 7: a province officer picks the communes a notice goes to."""


@dataclass(frozen=True)
class ToggleBroadcastCommune(Action, prefix="b:wt"):
    commune_id: str


@dataclass(frozen=True)
class WholeProvince(Action, prefix="b:wa"):
    pass


@dataclass(frozen=True)
class SendBroadcast(Action, prefix="b:c"):
    pass


@dataclass(frozen=True)
class DropBroadcast(Action, prefix="b:n"):
    pass


@dataclass(frozen=True)
class ShowProgress(Action, prefix="b:s"):
    broadcast_id: int


@dataclass(frozen=True)
class AskCancelBroadcast(Action, prefix="b:x"):
    broadcast_id: int


@dataclass(frozen=True)
class CancelBroadcast(Action, prefix="b:xy"):
    broadcast_id: int


# -- apologies (handlers.apologies) ----------------------------------------------------------------


@dataclass(frozen=True)
class StartApology(Action, prefix="x:s"):
    code_key: str


@dataclass(frozen=True)
class DropApology(Action, prefix="x:n"):
    pass


@dataclass(frozen=True)
class QuickReason(Action, prefix="x:r"):
    index: int  # into core.apologies.QUICK_REASONS


@dataclass(frozen=True)
class ProposedDate(Action, prefix="x:d"):
    new_due: dt.date


@dataclass(frozen=True)
class EditReason(Action, prefix="x:e"):
    pass


@dataclass(frozen=True)
class IssueApology(Action, prefix="x:c"):
    pass


# -- status updates (handlers.status_updates) ------------------------------------------------------


@dataclass(frozen=True)
class PickStatus(Action, prefix="cn:s"):
    status: Status


@dataclass(frozen=True)
class NeedsVerifying(Action, prefix="cn:v"):
    """ "Cần xác minh": the longer time the law allows, on this dossier."""


@dataclass(frozen=True)
class SkipNote(Action, prefix="cn:n"):
    pass


@dataclass(frozen=True)
class CancelUpdate(Action, prefix="cn:x"):
    pass


# -- files officers send (handlers.uploads) --------------------------------------------------------


@dataclass(frozen=True)
class ApplyCatalogue(Action, prefix="up:cat"):
    pass


@dataclass(frozen=True)
class ImportGoodRows(Action, prefix="up:imp"):
    pass


@dataclass(frozen=True)
class Announce(Action, prefix="up:ann"):
    procedure_id: str


@dataclass(frozen=True)
class CancelUpload(Action, prefix="up:no"):
    pass


# -- reports, officers, the audit log (handlers.report, officers) ----------------------------------


@dataclass(frozen=True)
class ShowReport(Action, prefix="bc"):
    period: str  # as core.report.parse_period reads it: "2026-Q3", "2026"
    commune: str | None = None  # issue 19: one commune's figures (a province officer's pick)


@dataclass(frozen=True)
class AddOfficer(Action, prefix="cb:a"):
    pass


@dataclass(frozen=True)
class OfficerRoster(Action, prefix="cb:n"):
    """ "Hủy" / "Không xóa": back to the list."""


@dataclass(frozen=True)
class AskRemoveOfficer(Action, prefix="cb:x"):
    user_id: str


@dataclass(frozen=True)
class RemoveOfficer(Action, prefix="cb:xy"):
    user_id: str


@dataclass(frozen=True)
class AuditPage(Action, prefix="nk"):
    offset: int


# -- the commune of a province (handlers.communes, issue 19) ------------------------------------


@dataclass(frozen=True)
class ChooseCommune(Action, prefix="xa:c"):
    commune_id: str  # core.province ids are at most 40 characters


@dataclass(frozen=True)
class ChangeCommune(Action, prefix="xa:d"):
    """ "Đổi xã": asks again which commune the person is from."""


ACTIONS.check()
