"""Medlé: forensic-medicine activity, fees and national reporting."""

from services.medle.api import acts, askers, fees, hospitals, interactions, reports, staffing, tariffs
from shared.service import create_service_app

DESCRIPTION = """
Forensic acts recorded by the hospitals' UMJ and IML, the mémoire de frais billed to the courts,
monthly staffing, and the national reports of the ministries of Health, Justice and the Interior.

Scopes: `medle:read` (reads), `medle:write` (writes), `medle:report` (reports only).
Roles: `medle:operator`, `medle:hospital_admin`, `medle:regional`, `medle:report`, `medle:admin`.
"""


def create_app():
    return create_service_app(
        "medle",
        [acts.router, hospitals.router, askers.router, staffing.router, fees.router, reports.router,
         tariffs.router, interactions.router],
        title="Medlé",
        description=DESCRIPTION,
    )
