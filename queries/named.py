"""Every canned Cypher query, parameterised, in the subset both stores share."""

TOP_FUNDERS = """
MATCH (o:Organisation)-[:FUNDS]->(p:Programme)
RETURN o.id AS id, o.name AS funder, count(DISTINCT p) AS programmes
ORDER BY programmes DESC, funder
LIMIT $limit
"""

MOST_SUPPORTED = """
MATCH (p:Programme)-[:TARGETS]->(c:Country)
OPTIONAL MATCH (f:Organisation)-[:FUNDS]->(p)
RETURN c.iso3 AS iso3, c.name AS country, count(DISTINCT p) AS programmes, count(DISTINCT f) AS funders
ORDER BY programmes DESC, funders DESC, country
LIMIT $limit
"""

REGION_COVERAGE = """
MATCH (c:Country)
WHERE c.region IS NOT NULL
OPTIONAL MATCH (p:Programme)-[:TARGETS]->(c)
WITH c.region AS region, c.iso3 AS iso3, count(p) AS n
RETURN region, count(iso3) AS countries,
       sum(CASE WHEN n = 0 THEN 1 ELSE 0 END) AS unserved
ORDER BY region
"""

UNSERVED_IN_BLOC = """
MATCH (c:Country)-[m:MEMBER_OF]->(b:Organisation {id: $bloc})
WHERE m.valid_to IS NULL
  AND NOT EXISTS { MATCH (:Programme)-[:TARGETS]->(c) }
RETURN c.iso3 AS iso3, c.name AS country, c.subregion AS subregion
ORDER BY country
"""

ORGANISATION_NAMES = """
MATCH (o:Organisation)
RETURN o.id AS id, o.name AS name, o.aliases AS aliases, o.country AS country
"""
