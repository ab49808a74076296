from services.mjpm.api import courts, interactions, managers, measures, reports, sync
from services.mjpm.jobs import run_periodically
from shared.service import create_service_app

DESCRIPTION = """Registry of the mandataires judiciaires à la protection des majeurs (eMJPM): the State
approves managers, judges find the best one near the person and reserve measures, managers and
their software follow them, ministries read the figures."""


def create_app():
    return create_service_app(
        "mjpm",
        # sync before measures: POST /v1/measures and /v1/measures:batch
        [courts.router, managers.router, sync.router, measures.router, reports.router, interactions.router],
        title="mjpm — protection mandataires and measures",
        description=DESCRIPTION,
        background=[run_periodically],
    )
