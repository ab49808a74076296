from fastapi import Request
from sqlalchemy.exc import DBAPIError

from services.fce.api import companies, establishments, interactions, sources
from shared.errors import Problem, problem_response
from shared.service import create_service_app

DESCRIPTION = """Fiche Commune Entreprise: the registry of French companies and establishments (INSEE
SIRENE), searchable by SIRET, SIREN or name at national scale, for the agents of the labour and
economy directorates and their partners; what was imported and when; what FCE holds about a
company for the 360° view."""


async def statement_timeout(request: Request, exc: DBAPIError):
    # Facets of a search matching millions of rows may outlast the statement timeout: say so,
    # rather than a 500.
    if getattr(exc.orig, "sqlstate", None) == "57014" or "QueryCanceled" in type(exc.orig).__name__:
        return problem_response(request, Problem(504, "the search took too long; narrow it with filters"))
    raise exc


def create_app():
    app = create_service_app(
        "fce",
        [companies.router, establishments.router, sources.router, interactions.router],
        title="fce — company registry and search",
        description=DESCRIPTION,
    )
    app.add_exception_handler(DBAPIError, statement_timeout)
    return app
