"""The service kit: everything two Fabrique services would otherwise write twice."""
