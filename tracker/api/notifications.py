"""API: the reminder ledger, one's own reminder preferences, one-click unsubscribe, and system
events (uses, breaches, incidents ...) with the kinds they can have."""

from __future__ import annotations

from flask.views import MethodView

from tracker import register
from tracker.api.auth import actor, current_user, require
from tracker.api.blueprint import Blueprint
from tracker.api.pagination import QueryPage
from tracker.api.schemas import (
    EventIn,
    EventKindOut,
    EventOut,
    NotificationFilters,
    NotificationOut,
    PreferenceIn,
    PreferenceOut,
)
from tracker.errors import ValidationFailed
from tracker.reminders import ledger, planning
from tracker.runtime import runtime

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api",
    description="Reminder e-mails sent, pending and failed; preferences; dated system events "
    "(a use, a breach, an incident), each starting the deadlines of the duties it triggers.",
)


@blp.route("/notifications")
class Notifications(MethodView):
    @require("audit:read")
    @blp.arguments(NotificationFilters, location="query")
    @blp.response(200, NotificationOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters):
        """The notification history, newest first: sent, pending and failed reminders."""
        return ledger.find(filters)


@blp.route("/me/notification-preferences")
class MyPreferences(MethodView):
    @require("systems:read")
    @blp.response(200, PreferenceOut)
    def get(self):
        """How reminders reach me: daily or weekly digest, or each item at once; optional kinds declined."""
        return planning.preference_for(_my_email())

    @require("systems:read")
    @blp.arguments(PreferenceIn)
    @blp.response(200, PreferenceOut)
    def put(self, body):
        """Change how reminders reach me (mandatory reminders cannot be declined)."""
        return planning.set_preference(_my_email(), **body)


def _my_email() -> str:
    user = current_user()
    if not user.email:
        raise ValidationFailed(
            {"email": ["Your account has no e-mail address; ask an administrator to add one."]}
        )
    return user.email


@blp.route("/notifications/unsubscribe/<token>")
class Unsubscribe(MethodView):
    # public: the secret link in the reminder e-mail is the credential
    @blp.doc(security=[])
    @blp.response(200, PreferenceOut)
    def get(self, token):
        """What the link in a reminder does: a POST here declines all optional reminders (GET changes nothing)."""
        return planning.preference_by_token(token)

    @blp.doc(security=[])
    @blp.response(200, PreferenceOut)
    def post(self, token):
        """One-click unsubscribe (RFC 8058): decline every optional reminder kind."""
        return planning.unsubscribe(token)


@blp.route("/event-kinds")
class EventKinds(MethodView):
    @require("systems:read")
    @blp.response(200, EventKindOut(many=True))
    def get(self):
        """The kinds of events that can be recorded: the tracker's core kinds and the plugins'."""
        return list(runtime().catalogue.event_kinds.values())


@blp.route("/systems/<int:system_id>/events")
class SystemEvents(MethodView):
    @require("systems:read")
    @blp.response(200, EventOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, system_id):
        """Dated events of a system (uses, breaches, incidents ...), newest first. Each one's
        duties, deadlines and status are in the system's completeness (``events``)."""
        return register.events_of(register.get_system(system_id))

    @require("systems:write")
    @blp.arguments(EventIn)
    @blp.response(201, EventOut)
    def post(self, body, system_id):
        """Record an event; every requirement counted from its kind owes evidence linked to it
        by its own deadline (hours after ``occurred_at``)."""
        return register.record_event(
            register.get_system(system_id),
            body["kind"],
            body["occurred_at"],
            body["description"],
            current_user(),
            actor(),
            runtime().catalogue,
        )
