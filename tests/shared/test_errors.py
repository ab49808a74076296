PROBLEM = "application/problem+json"
READ = {"scopes": ["notes:read"]}
WRITE = {"scopes": ["notes:read", "notes:write"]}


async def test_unknown_note_is_a_404_problem_with_request_id(notes, auth):
    r = await notes.get("/v1/notes/999999", headers=auth(**READ))
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found" and body["request_id"]
    assert body["request_id"] == r.headers["x-request-id"]


async def test_invalid_body_is_a_422_naming_each_field(notes, auth):
    r = await notes.post("/v1/notes", json={"title": "", "siret": "12345678901234", "owner": "x"},
                         headers=auth(**WRITE))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    errors = {tuple(e["loc"]): e for e in r.json()["errors"]}
    assert ("body", "title") in errors
    assert "check digit" in errors[("body", "siret")]["msg"]
    assert errors[("body", "owner")]["type"] == "extra_forbidden"


async def test_illegal_transition_is_a_409_problem(notes, auth):
    r = await notes.post("/v1/notes/1/archive", headers=auth(**WRITE))
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert r.json()["detail"] == "a note cannot be archived twice"


async def test_unhandled_error_is_a_500_without_stack_trace(notes):
    r = await notes.get("/v1/boom", headers={"X-Request-ID": "trace-me-42"})
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert r.json()["request_id"] == "trace-me-42"
    assert "passwd" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text


async def test_unsafe_request_id_is_replaced(notes):
    r = await notes.get("/healthz", headers={"X-Request-ID": "has spaces in it"})
    assert r.headers["x-request-id"] != "has spaces in it" and len(r.headers["x-request-id"]) == 32
