"""API: the requirement catalogue, the jurisdictions, plugin health and plugin profile questions."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Page

from tracker import profile
from tracker.api.auth import require
from tracker.api.blueprint import Blueprint
from tracker.api.schemas import (
    FactOut,
    JurisdictionOut,
    PluginOut,
    QuestionOut,
    RequirementFilters,
    RequirementOut,
)
from tracker.runtime import runtime

blp = Blueprint(
    "catalogue",
    __name__,
    url_prefix="/api",
    description="What each enabled jurisdiction requires, with citations and their verification.",
)


@blp.route("/requirements")
class Requirements(MethodView):
    @require("catalogue:read")
    @blp.arguments(RequirementFilters, location="query")
    @blp.response(200, RequirementOut(many=True))
    @blp.paginate(Page)
    def get(self, filters):
        """The requirement catalogue of the enabled jurisdictions, with filters."""
        found = list(runtime().catalogue.requirements.values())
        for name, attribute in (("framework", "framework"), ("scope", "scope"), ("owner", "owner")):
            if filters.get(name):
                found = [r for r in found if getattr(r, attribute) == filters[name]]
        if filters.get("kind"):
            found = [r for r in found if filters["kind"] in r.evidence_kinds]
        if text := filters.get("q", "").casefold():
            found = [r for r in found if text in f"{r.id} {r.title} {r.citation}".casefold()]
        return found


@blp.route("/requirements/<requirement_id>")
class RequirementItem(MethodView):
    @require("catalogue:read")
    @blp.response(200, RequirementOut)
    def get(self, requirement_id):
        """One requirement with its citation and verification status."""
        return runtime().catalogue.requirement(requirement_id)


@blp.route("/jurisdictions")
class Jurisdictions(MethodView):
    @require("catalogue:read")
    @blp.response(200, JurisdictionOut(many=True))
    @blp.paginate(Page)
    def get(self):
        """Enabled jurisdictions, and installed ones the deployment left disabled."""
        catalogue = runtime().catalogue
        counts: dict[str, int] = {}
        for requirement in catalogue.requirements.values():
            counts[requirement.framework] = counts.get(requirement.framework, 0) + 1
        enabled = [
            {
                "id": j.id,
                "title": j.title,
                "description": j.description,
                "url": j.url,
                "enabled": True,
                "requirement_count": counts.get(j.id, 0),
            }
            for j in catalogue.jurisdictions.values()
        ]
        disabled = [
            {
                "id": j,
                "title": j,
                "description": "",
                "url": "",
                "enabled": False,
                "requirement_count": 0,
            }
            for j in sorted(catalogue.disabled)
        ]
        return enabled + disabled


@blp.route("/plugins")
class Plugins(MethodView):
    @require("catalogue:read")
    @blp.response(200, PluginOut(many=True))
    @blp.paginate(Page)
    def get(self):
        """Installed plugins, what they provide, and any problem found loading them."""
        catalogue = runtime().catalogue
        return [
            {
                **vars(plugin),
                "problems": [p.problem for p in catalogue.problems if p.plugin == plugin.name],
            }
            for plugin in catalogue.plugins
        ]


@blp.route("/profile-questions")
class ProfileQuestions(MethodView):
    @require("catalogue:read")
    @blp.response(200, QuestionOut(many=True))
    @blp.paginate(Page)
    def get(self):
        """Extra profile questions the enabled plugins ask; answers go in a system's ``answers``."""
        return list(runtime().catalogue.questions)


@blp.route("/facts")
class Facts(MethodView):
    @require("catalogue:read")
    @blp.response(200, FactOut(many=True))
    def get(self):
        """Every fact an applicability rule can read: each profile field and each enabled plugin's
        question, with its type, allowed values, help text and default."""
        return profile.facts(runtime().catalogue.questions)
