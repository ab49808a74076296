import csv
import io

from openpyxl import load_workbook

from shared.reports import csv_chunks, suppress_small_cells

READ = {"scopes": ["notes:read"]}


async def test_small_counts_are_hidden_from_a_report_reader(notes, auth):
    r = await notes.get("/v1/report", headers=auth("ministry", **READ, roles=["report"]))
    rows = {row["departement"]: row["acts"] for row in r.json()["items"]}
    assert rows == {"59": None, "75": 12, "13": 0}
    assert r.json()["suppressed_cells"] == 1


async def test_small_counts_are_shown_to_an_admin(notes, auth):
    r = await notes.get("/v1/report", headers=auth("admin", **READ, roles=["admin"]))
    rows = {row["departement"]: row["acts"] for row in r.json()["items"]}
    assert rows["59"] == 3


async def test_csv_for_french_excel_has_bom_and_semicolons(notes, auth):
    r = await notes.get("/v1/report", params={"format": "csv", "excel": "true"},
                        headers=auth(**READ, roles=["admin"]))
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["departement", "acts"] and rows[1] == ["59", "3"]
    assert "attachment" in r.headers["content-disposition"]


async def test_xlsx_report_opens_with_the_same_rows(notes, auth):
    r = await notes.get("/v1/report", params={"format": "xlsx"}, headers=auth(**READ, roles=["admin"]))
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)][:2] == [["departement", "acts"], ["59", 3]]


def test_suppression_threshold_is_configurable_and_zero_is_not_secret():
    rows, hidden = suppress_small_cells([{"n": 0}, {"n": 9}, {"n": 10}], ["n"], nominative=False, threshold=10)
    assert [r["n"] for r in rows] == [0, None, 10] and hidden == 1



async def test_csv_for_excel_keeps_text_that_looks_like_a_formula_as_text():
    rows = [{"name": "=HYPERLINK(\"http://evil\",\"clic\")", "n": -3}, {"name": "@SUM(A1)", "n": 2}]
    excel = b"".join([chunk async for chunk in csv_chunks(rows, ["name", "n"], excel=True)]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(excel), delimiter=";"))[1:] == [
        ["'=HYPERLINK(\"http://evil\",\"clic\")", "-3"], ["'@SUM(A1)", "2"]]
    plain = b"".join([chunk async for chunk in csv_chunks(rows, ["name", "n"], excel=False)]).decode()
    assert list(csv.reader(io.StringIO(plain)))[1][0] == "=HYPERLINK(\"http://evil\",\"clic\")"  # data, for programs
