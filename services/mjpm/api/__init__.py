"""The HTTP routers of mjpm, one module per resource."""
