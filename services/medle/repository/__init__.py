"""Every query of the medle service, one module per resource."""
