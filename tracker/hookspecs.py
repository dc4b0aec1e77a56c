"""The hooks a jurisdiction plugin implements (pluggy project name ``tracker``).

A plugin is any module registered under the ``tracker.plugins`` entry-point
group. It implements some of the hooks below with ``@hookimpl`` (from
``tracker.plugin_api``); each returns a list, and the tracker collects the
lists of every enabled plugin. Every hook takes no arguments: definitions are
data, so the tracker can validate them all at start-up and report a broken
plugin without running it again.
"""

from __future__ import annotations

import pluggy

from tracker.events.kinds import EventKind
from tracker.i18n.plugin_texts import MessageCatalogue
from tracker.profile import ProfileQuestion
from tracker.requirements import Jurisdiction, Requirement

hookspec = pluggy.HookspecMarker("tracker")
hookimpl = pluggy.HookimplMarker("tracker")


@hookspec
def tracker_jurisdictions() -> list[Jurisdiction]:
    """Declare the jurisdictions (frameworks) this plugin provides.

    Return a list of :class:`~tracker.requirements.Jurisdiction`. A jurisdiction's
    ``id`` (for example ``"eu-led"``) is the prefix of the ids of its
    requirements (``"eu-led.dpia"``); a deployment enables jurisdictions by
    these ids (``TRACKER_JURISDICTIONS``), and each AI system records which of
    them it falls under. A plugin may only declare requirements for
    jurisdictions it declares here. A jurisdiction belongs to one plugin: the
    built-in plugins are loaded first, and a plugin declaring a jurisdiction
    another plugin already provides is refused as a whole.
    """


@hookspec
def tracker_requirements() -> list[Requirement]:
    """Declare the evidence requirements of this plugin's jurisdictions.

    Return a list of :class:`~tracker.requirements.Requirement`. Each needs a
    stable, unique id (``framework.name``), a title, a
    :class:`~tracker.requirements.Citation` with an article, a link and its
    verification status, the evidence kinds that satisfy it, and may set its
    scope (``agency``, ``system`` or ``operator``), an applicability rule over
    the system profile (a rule-engine expression such as
    ``purpose_type == "law_enforcement" and risk_level == "high"``), the
    life-cycle stage it is due before, validity (``valid_for_months``,
    ``renew_on_change``), the date it is in force from, the owner role, and
    ``also_satisfied_by`` (ids of requirements whose evidence also serves
    this one). Invalid definitions are reported at start-up and by
    ``tracker plugins check`` and are left out; the rest keeps working.
    """


@hookspec
def tracker_profile_questions() -> list[ProfileQuestion]:
    """Declare extra profile questions this plugin's applicability rules need.

    Return a list of :class:`~tracker.profile.ProfileQuestion` (an identifier-like
    ``id`` unique across plugins, a label, a ``type`` of ``boolean``,
    ``choice`` or ``text``, the ``choices`` for a choice, and a ``default``).
    Answers are stored in the system profile's ``answers`` and validated by
    the API; rules refer to a question by its id.
    """


@hookspec
def tracker_event_kinds() -> list[EventKind]:
    """Declare kinds of events, beyond the core ones, that requirements count deadlines from.

    Return a list of :class:`~tracker.events.kinds.EventKind` (an ``id`` of lower
    case letters, digits and ``_``, unique across the tracker and every plugin, a
    title, a description, and ``counted_from``: what the recorded time means, such
    as "when the agency became aware of it"). The tracker itself declares ``use``,
    ``personal_data_breach``, ``serious_incident``, ``significant_cyber_incident``
    and ``substantial_modification``; a requirement counts from any declared kind
    with ``deadline_after_event=(kind, hours)``. Events are recorded per system
    (API, CLI, web); each event owes its own evidence, linked to it, by its own
    deadline. A kind whose id is taken is reported and left out.
    """


@hookspec
def tracker_translations() -> list[MessageCatalogue]:
    """Declare where this plugin's translations are, so its texts read in each user's language.

    Return a list of :class:`~tracker.i18n.plugin_texts.MessageCatalogue` (a ``directory`` and a
    gettext ``domain``): the tracker reads ``<directory>/<language>/LC_MESSAGES/<domain>.mo`` for
    each language it speaks (``en``, ``fr``) and shows the plugin's texts translated wherever
    people read them: jurisdiction titles and descriptions, territory names, requirement titles,
    descriptions and recurrences, citations' instruments and notes, question labels and help,
    event kinds' titles, descriptions and ``counted_from``. The message ids are those English
    texts exactly as the plugin declares them, so nothing in the plugin's code is marked:
    ``tracker plugins texts NAME`` writes the ``.pot`` template to translate, and
    ``pybabel init``/``update``/``compile`` do the rest. A text with no translation shows in
    English; the API and stored records always keep the English.
    """
