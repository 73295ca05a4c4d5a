"""Every canned Cypher query, parameterised, in the subset both stores share."""

from graph import cypher

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

ORGANISATION_NAMES = cypher.ORGANISATION_NAMES  # the loaders read it too

# One row per programme x target country x funder (funder null where none is recorded).
_FLOW_COLUMNS = """
OPTIONAL MATCH (f:Organisation)-[fu:FUNDS]->(p)
RETURN p.id AS programme, p.name AS programme_name, p.themes AS themes, p.status AS status,
       p.start_date AS start_date, p.end_date AS end_date, p.budget AS budget, p.currency AS budget_currency,
       c.iso3 AS iso3, c.name AS country, c.region AS region, c.subregion AS subregion,
       t.share AS share, t.amount AS amount, t.currency AS currency, t.valid_from AS t_from, t.valid_to AS t_to,
       f.id AS funder, f.name AS funder_name, fu.valid_from AS f_from, fu.valid_to AS f_to
"""
FLOWS = "MATCH (p:Programme)-[t:TARGETS]->(c:Country)" + _FLOW_COLUMNS
# The same rows for one country ($iso3): what a country's own answers need, without reading every flow.
COUNTRY_FLOWS = "MATCH (p:Programme)-[t:TARGETS]->(c:Country {iso3: $iso3})" + _FLOW_COLUMNS

IMPLEMENTERS = """
MATCH (o:Organisation)-[:IMPLEMENTS]->(p:Programme)
RETURN p.id AS programme, o.id AS org
ORDER BY programme, org
"""

COUNTRIES = """
MATCH (c:Country)
RETURN c.iso3 AS iso3, c.name AS name, c.region AS region, c.subregion AS subregion, c.sovereignty AS sovereignty,
       c.income_group AS income_group, c.income_vintage AS income_vintage, c.ldc AS ldc, c.lldc AS lldc, c.sids AS sids
ORDER BY iso3
"""

COUNTRY_INDICATORS = """
MATCH (c:Country)-[m:MEASURED]->(i:Indicator)
RETURN c.iso3 AS iso3, i.family AS family, i.edition AS edition, i.pillar AS pillar,
       m.score AS score, m.tier AS tier, m.stage AS stage, m.year AS year
ORDER BY c.iso3, i.family, i.edition, coalesce(i.pillar, '')
"""

# Programmes that reach a region or the world rather than (or beside) listed countries.
PROGRAMME_SCOPES = """
MATCH (p:Programme)
WHERE p.scope = 'regional' OR p.scope = 'global'
RETURN p.id AS programme, p.name AS programme_name, p.scope AS scope, p.scope_regions AS scope_regions,
       p.scope_blocs AS scope_blocs, p.themes AS themes, p.start_date AS start_date, p.end_date AS end_date,
       p.budget AS budget, p.currency AS budget_currency
ORDER BY programme
"""

# Agencies and funds to the donor state or bloc they belong to.
PART_OF = """
MATCH (a:Organisation)-[:PART_OF]->(b:Organisation)
RETURN a.id AS agency, b.id AS donor, b.name AS donor_name
ORDER BY agency, donor
"""

COUNTRY_KEYS = "MATCH (c:Country) RETURN c.iso3 AS k"
COUNTRY_TERMS = "MATCH (c:Country) RETURN c.iso3 AS iso3, c.iso2 AS iso2, c.name AS name ORDER BY iso3"
ORGANISATION_KEYS = "MATCH (o:Organisation) RETURN o.id AS k"

BLOC_MEMBERS = """
MATCH (c:Country)-[m:MEMBER_OF]->(:Organisation)
WHERE m.valid_to IS NULL
RETURN DISTINCT c.iso3 AS iso3
"""

# What each organisation does, in two tables: who funds or implements which programme, and what
# each programme is about and reaches. A programme's themes and countries cross once, not once per
# organisation and country, as one row per organisation x programme x country did.
ORG_PROGRAMMES = """
MATCH (o:Organisation)-[:FUNDS]->(p:Programme)
RETURN o.id AS org, o.name AS name, 'FUNDS' AS role, p.id AS programme
UNION ALL
MATCH (o:Organisation)-[:IMPLEMENTS]->(p:Programme)
RETURN o.id AS org, o.name AS name, 'IMPLEMENTS' AS role, p.id AS programme
"""

PROGRAMME_REACH = """
MATCH (p:Programme)
OPTIONAL MATCH (p)-[:TARGETS]->(c:Country)
RETURN p.id AS programme, p.themes AS themes, collect(c.iso3) AS countries
"""

PARTNERSHIPS = """
MATCH (a:Organisation)-[:PARTNERS_WITH]->(b:Organisation)
RETURN a.id AS a, b.id AS b
"""

ORGANISATIONS = """
MATCH (o:Organisation)
RETURN o.id AS id, o.name AS name, o.kind AS kind, o.country AS country, o.aliases AS aliases, o.source AS source
ORDER BY id
"""

MEMBERSHIPS = """
MATCH (c:Country)-[m:MEMBER_OF]->(b:Organisation)
WHERE m.valid_to IS NULL
RETURN c.iso3 AS iso3, b.id AS bloc, b.name AS bloc_name
ORDER BY iso3, bloc
"""

# One row per programme x funder (funder null where none is recorded): what charts by theme, year and funder count.
PROGRAMME_FUNDING = """
MATCH (p:Programme)
OPTIONAL MATCH (f:Organisation)-[fu:FUNDS]->(p)
RETURN p.id AS programme, p.themes AS themes, p.start_date AS start_date, p.end_date AS end_date,
       p.budget AS budget, p.currency AS budget_currency, p.scope AS scope, p.scope_regions AS scope_regions,
       f.id AS funder, f.name AS funder_name, fu.amount AS amount, fu.currency AS currency
"""

# The coverage-over-time view: every programme's period, and what it reaches and who funds it.
PROGRAMME_PERIODS = """
MATCH (p:Programme)
RETURN p.id AS programme, p.name AS name, p.themes AS themes, p.start_date AS start_date, p.end_date AS end_date,
       p.scope AS scope, p.scope_regions AS scope_regions, p.scope_blocs AS scope_blocs, p.source AS source
ORDER BY programme
"""

PROGRAMME_TARGETS = """
MATCH (p:Programme)-[:TARGETS]->(c:Country)
RETURN p.id AS programme, c.iso3 AS iso3, c.name AS country, c.region AS region, c.subregion AS subregion
ORDER BY programme, iso3
"""

PROGRAMME_FUNDERS = """
MATCH (f:Organisation)-[:FUNDS]->(p:Programme)
RETURN p.id AS programme, f.id AS funder, f.name AS funder_name
ORDER BY programme, funder
"""

INDICATOR_SOURCES = """
MATCH (i:Indicator)
RETURN i.id AS id, i.name AS name, i.source AS source, i.as_of AS as_of
ORDER BY id
"""

COUNTRY_SOURCES = """
MATCH (c:Country)
RETURN c.iso3 AS iso3, c.name AS name, c.source AS source, c.income_source AS income_source, c.as_of AS as_of
ORDER BY iso3
"""
