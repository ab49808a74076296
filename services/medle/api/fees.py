"""Mémoire de frais: a hospital's acts of a month priced at the tariffs in force, per asker."""

import datetime as dt
from calendar import monthrange
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from fpdf import FPDF

from services.medle.api.callers import ReadableHospital, Reader
from services.medle.domain.fees import FeeStatement, fee_statement
from services.medle.models import Hospital
from services.medle.repository import fees as repo
from services.medle.repository import hospitals as hospitals_repo
from services.medle.repository import tariffs as tariffs_repo
from services.medle.schemas import (
    AskerFeesOut,
    AskerOut,
    FeeLineOut,
    FeeStatementOut,
    HospitalOut,
    Month,
    UnpricedOut,
)
from shared import audit
from shared.db import Session
from shared.reports import OutputParams, ReportFormat, tabular_response

router = APIRouter(prefix="/v1", tags=["fees"])

CSV_COLUMNS = ["asker_id", "asker", "asker_type", "internal_number", "pv_number", "examined_on", "profile",
               "act_type", "amount"]


@router.get(
    "/hospitals/{hospital_id}/fees",
    response_model=FeeStatementOut,
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
async def fees(
    month: Annotated[Month, Query(description="YYYY-MM")],
    hospital: ReadableHospital,
    caller: Reader,
    session: Session,
    request: Request,
    format: Literal["json", "csv", "pdf"] = "json",
    excel: bool = False,
):
    """The month's acts × the tariffs in force on each examination day, grouped by asker.
    Acts without complaint are billed to no one; acts with no tariff are listed apart."""
    start = dt.date.fromisoformat(f"{month}-01")
    end = start.replace(day=monthrange(start.year, start.month)[1])
    acts = await repo.billed_acts(session, hospital.id, start, end)
    statement = fee_statement(acts, await tariffs_repo.schedule(session))
    askers = await hospitals_repo.askers_by_id(session, {a.asker_id for a in statement.askers})
    out = _out(statement, hospital, month, askers)
    await audit.record(session, request, caller, "read", "fees", f"{hospital.id}:{month}")
    filename = f"memoire-de-frais-{hospital.finess}-{month}"
    if format == "csv":
        rows = [
            {"asker_id": a.asker.id, "asker": a.asker.name, "asker_type": a.asker.type, **line.model_dump()}
            for a in out.askers for line in a.lines
        ]
        return await tabular_response(rows, CSV_COLUMNS, OutputParams(format=ReportFormat.csv, excel=excel),
                                      filename)
    if format == "pdf":
        return Response(_pdf(out), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'})
    return out


def _out(statement: FeeStatement, hospital: Hospital, month: str, askers: dict) -> FeeStatementOut:
    return FeeStatementOut(
        hospital=HospitalOut.model_validate(hospital, from_attributes=True),
        month=month,
        askers=[
            AskerFeesOut(
                asker=AskerOut.model_validate(askers[group.asker_id], from_attributes=True),
                lines=[FeeLineOut(**line.__dict__) for line in group.lines],
                total=group.total,
            )
            for group in sorted(statement.askers, key=lambda g: askers[g.asker_id].name)
        ],
        unpriced=[UnpricedOut(**u.__dict__) for u in statement.unpriced],
        total=statement.total,
    )


def _latin1(text: object) -> str:
    # The PDF's core font is Latin-1: French accents print, anything else becomes "?".
    return str(text if text is not None else "").encode("latin-1", "replace").decode("latin-1")


def _euros(amount: Decimal) -> str:
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents} EUR"


def _pdf(out: FeeStatementOut) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(f"Mémoire de frais - {out.month}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    pdf.cell(0, 6, _latin1(f"{out.hospital.name} (FINESS {out.hospital.finess})"), new_x="LMARGIN", new_y="NEXT")
    widths = (28, 36, 22, 46, 30, 28)
    for group in out.askers:
        pdf.ln(4)
        pdf.set_font("helvetica", "B", 11)
        pdf.cell(0, 7, _latin1(f"{group.asker.name} ({group.asker.type})"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "B", 8)
        for width, title in zip(widths, ("N° interne", "N° PV", "Date", "Profil", "Acte", "Montant"), strict=True):
            pdf.cell(width, 6, _latin1(title), border=1)
        pdf.ln()
        pdf.set_font("helvetica", size=8)
        for line in group.lines:
            cells = (line.internal_number, line.pv_number, line.examined_on.strftime("%d/%m/%Y"), line.profile,
                     line.act_type or "-", _euros(line.amount))
            for width, value in zip(widths, cells, strict=True):
                pdf.cell(width, 5, _latin1(value)[:30], border=1, align="R" if value == cells[-1] else "L")
            pdf.ln()
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(sum(widths[:-1]), 6, "Total", border=1)
        pdf.cell(widths[-1], 6, _euros(group.total), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 7, _latin1(f"Total du mois : {_euros(out.total)}"), new_x="LMARGIN", new_y="NEXT")
    if out.unpriced:
        pdf.set_font("helvetica", size=8)
        pdf.multi_cell(0, 5, _latin1(f"{len(out.unpriced)} acte(s) sans tarif en vigueur, non facturé(s) : "
                                     + ", ".join(u.internal_number for u in out.unpriced)))
    return bytes(pdf.output())
