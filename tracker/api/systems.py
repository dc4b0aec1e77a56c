"""API: the AI system register and each system's authorised operators."""

from __future__ import annotations

from flask.views import MethodView

from tracker import register
from tracker.api.auth import actor, require
from tracker.api.blueprint import Blueprint
from tracker.api.pagination import QueryPage
from tracker.api.schemas import (
    OperatorFilters,
    OperatorOut,
    OperatorPatch,
    RetireIn,
    SystemFilters,
    SystemOut,
    SystemPatch,
)
from tracker.profile import OperatorSchema, SystemProfileSchema
from tracker.runtime import runtime

blp = Blueprint(
    "systems",
    __name__,
    url_prefix="/api/systems",
    description="Register AI systems, change their profiles, retire them, manage operators.",
)


@blp.route("")
class Systems(MethodView):
    @require("systems:read")
    @blp.arguments(SystemFilters, location="query")
    @blp.response(200, SystemOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters):
        """List AI systems, with filters (retired systems only when asked)."""
        return register.find_systems(filters)

    @require("systems:write")
    @blp.arguments(SystemProfileSchema)
    @blp.response(201, SystemOut)
    def post(self, profile):
        """Register an AI system."""
        return register.create_system(profile, actor(), runtime().catalogue)


@blp.route("/<int:system_id>")
class System(MethodView):
    @require("systems:read")
    @blp.response(200, SystemOut)
    def get(self, system_id):
        """One AI system's profile."""
        return register.get_system(system_id)

    @require("systems:write")
    @blp.arguments(SystemPatch)
    @blp.response(200, SystemOut)
    def patch(self, changes, system_id):
        """Change part of a profile; the resulting profile must be valid as a whole."""
        system = register.get_system(system_id)
        return register.update_system(system, changes, actor(), runtime().catalogue)


@blp.route("/<int:system_id>/retire")
class RetireSystem(MethodView):
    @require("systems:write")
    @blp.arguments(RetireIn)
    @blp.response(200, SystemOut)
    def post(self, body, system_id):
        """Retire a system: it leaves the active register, and nothing about it is deleted."""
        return register.retire_system(register.get_system(system_id), body["reason"], actor())


@blp.route("/<int:system_id>/operators")
class Operators(MethodView):
    @require("systems:read")
    @blp.arguments(OperatorFilters, location="query")
    @blp.response(200, OperatorOut(many=True))
    @blp.paginate(QueryPage)
    def get(self, filters, system_id):
        """The people authorised to use this system."""
        system = register.get_system(system_id)
        return register.list_operators(system, filters["include_removed"])

    @require("systems:write")
    @blp.arguments(OperatorSchema)
    @blp.response(201, OperatorOut)
    def post(self, data, system_id):
        """Authorise a person to use this system."""
        return register.add_operator(register.get_system(system_id), data, actor())


@blp.route("/<int:system_id>/operators/<int:operator_id>")
class OperatorItem(MethodView):
    @require("systems:read")
    @blp.response(200, OperatorOut)
    def get(self, system_id, operator_id):
        """One operator."""
        return register.get_operator(register.get_system(system_id), operator_id)

    @require("systems:write")
    @blp.arguments(OperatorPatch)
    @blp.response(200, OperatorOut)
    def patch(self, data, system_id, operator_id):
        """Change an operator's name, e-mail or unit."""
        operator = register.get_operator(register.get_system(system_id), operator_id)
        return register.update_operator(operator, data, actor())

    @require("systems:write")
    @blp.response(200, OperatorOut)
    def delete(self, system_id, operator_id):
        """End an operator's authorisation (the record is kept, dated)."""
        operator = register.get_operator(register.get_system(system_id), operator_id)
        return register.remove_operator(operator, actor())
