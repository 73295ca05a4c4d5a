"""Named Cypher queries and NetworkX analyses, as functions returning plain data."""
