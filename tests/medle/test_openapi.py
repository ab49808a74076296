from openapi_spec_validator import validate


async def test_the_openapi_document_is_valid_and_documents_the_batch_body(medle):
    spec = (await medle.get("/openapi.json")).json()
    validate(spec)
    batch = spec["paths"]["/v1/acts:batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch["properties"]["acts"]["items"] == {"$ref": "#/components/schemas/ActIn"}
    assert "hospital_id" not in spec["components"]["schemas"]["ActIn"]["properties"]
