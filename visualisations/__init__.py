"""Figures and exports drawn from query results."""
