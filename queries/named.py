"""Every canned Cypher query, parameterised, in the subset both stores share."""

from graph import cypher

TOP_FUNDERS = """
MATCH (o:Organisation)-[:FUNDS]->(p:Programme)
RETURN o.id AS id, o.name AS funder, count(DISTINCT p) AS programmes
ORDER BY programmes DESC, funder
LIMIT $limit
"""

ORGANISATION_NAMES = cypher.ORGANISATION_NAMES  # the loaders read it too

# -- flows: programme x target country x funder, in a window ---------------------------
#
# Every flow query starts from the same match: the programmes that serve a country (TARGETS as a beneficiary:
# a participant in a drill or a host is shown, never counted as support), with their
# funders (f null where none is recorded), kept when the programme's period and both links'
# validity meet the window. $before is the year after the window ("~" when open: above any date)
# and $after its first year ("" when open); ISO dates compare as text, so `start < "2021"` is
# "starts in 2020 or before" in both dialects. $theme is a GFCE theme letter or "" for any. A family counts once:
# an umbrella programme drops out of a country where one of its components (COMPONENT_OF) serves it.
# A programme whose every funder is outside the window drops out, as its rows do.
_FLOW_MATCH = """
MATCH (p:Programme)-[t:TARGETS]->(c:Country{country})
WHERE (t.role IS NULL OR t.role = 'beneficiary')
  AND (p.start_date IS NULL OR p.start_date < $before) AND (p.end_date IS NULL OR p.end_date >= $after)
  AND (t.valid_from IS NULL OR t.valid_from < $before) AND (t.valid_to IS NULL OR t.valid_to >= $after)
  AND ($theme = '' OR $theme IN p.themes)
  AND NOT EXISTS {
    MATCH (p)<-[:COMPONENT_OF]-(q:Programme)-[t2:TARGETS]->(c)
    WHERE (t2.role IS NULL OR t2.role = 'beneficiary') AND ($theme = '' OR $theme IN q.themes)
      AND (q.start_date IS NULL OR q.start_date < $before) AND (q.end_date IS NULL OR q.end_date >= $after)
  }
OPTIONAL MATCH (f:Organisation)-[fu:FUNDS]->(p)
WITH p, t, c, f, fu
WHERE fu IS NULL OR ((fu.valid_from IS NULL OR fu.valid_from < $before) AND (fu.valid_to IS NULL OR fu.valid_to >= $after))
"""


def flow_query(returns: str, *, country: bool = False) -> str:
    """The flow match, for every country or for one (``$iso3``, through its key), followed by ``returns``.

    >>> "{iso3: $iso3}" in flow_query("RETURN count(*) AS n", country=True)
    True
    """
    return _FLOW_MATCH.replace("{country}", " {iso3: $iso3}" if country else "") + returns


# One row per flow, every column: what the report, the briefing and the breakdowns read.
_FLOW_COLUMNS = """
RETURN p.id AS programme, p.name AS programme_name, p.themes AS themes, p.status AS status,
       p.start_date AS start_date, p.end_date AS end_date, p.budget AS budget, p.currency AS budget_currency,
       c.iso3 AS iso3, c.name AS country, c.region AS region, c.subregion AS subregion,
       t.share AS share, t.amount AS amount, t.currency AS currency, t.valid_from AS t_from, t.valid_to AS t_to,
       f.id AS funder, f.name AS funder_name, fu.valid_from AS f_from, fu.valid_to AS f_to
"""
FLOWS = flow_query(_FLOW_COLUMNS)
COUNTRY_FLOWS = flow_query(_FLOW_COLUMNS, country=True)

# The analyses ask for grouped rows instead, so that result-sized data leaves the store (over Bolt
# a row costs the driver ~15 us; ids inside a collected list cost almost nothing).
# Per country and programme theme set: the programmes and their funders. A theme's support is the
# union of the groups whose set holds it, so one read serves every theme.
_SUPPORT = """
RETURN c.iso3 AS iso3, p.themes AS themes, collect(DISTINCT p.id) AS programmes, collect(DISTINCT f.id) AS funders
"""
SUPPORT = flow_query(_SUPPORT)
COUNTRY_SUPPORT = flow_query(_SUPPORT, country=True)

# Per country and funder: the programmes it funds there (funded flows only).
_FUNDED = """
WITH p, c, f WHERE f IS NOT NULL
RETURN c.iso3 AS iso3, c.name AS country, c.region AS region, c.subregion AS subregion, f.id AS funder,
       f.name AS funder_name, collect(DISTINCT p.id) AS programmes
"""
FUNDED = flow_query(_FUNDED)
COUNTRY_FUNDED = flow_query(_FUNDED, country=True)

# Per country: the amounts stated for its programmes (each programme-country link once).
_LINK_AMOUNTS = """
WITH DISTINCT p, t, c WHERE t.amount IS NOT NULL
RETURN c.iso3 AS iso3, collect({programme: p.id, themes: p.themes, amount: t.amount, currency: t.currency}) AS amounts
"""
LINK_AMOUNTS = flow_query(_LINK_AMOUNTS)
COUNTRY_LINK_AMOUNTS = flow_query(_LINK_AMOUNTS, country=True)

# Programme attributes, grouped by value: a handful of rows however many programmes there are.
PROGRAMME_THEMES = "MATCH (p:Programme) RETURN p.themes AS themes, collect(p.id) AS programmes"
# How many programmes carry each set of themes: a row per set, a count, never the ids (the evidence rule reads it).
THEME_SET_COUNTS = "MATCH (p:Programme) RETURN p.themes AS themes, count(p) AS programmes"
PROGRAMME_SOURCES = "MATCH (p:Programme) RETURN p.source AS source, collect(p.id) AS programmes"
PROGRAMME_BUDGETS = """
MATCH (p:Programme) WHERE p.budget IS NOT NULL
RETURN p.currency AS currency, collect({programme: p.id, budget: p.budget}) AS budgets
"""
IMPLEMENTED = """
MATCH (o:Organisation)-[:IMPLEMENTS]->(p:Programme)
RETURN o.id AS org, collect(p.id) AS programmes
"""

COUNTRIES = """
MATCH (c:Country)
RETURN c.iso3 AS iso3, c.name AS name, c.region AS region, c.subregion AS subregion, c.sovereignty AS sovereignty,
       c.income_group AS income_group, c.income_vintage AS income_vintage, c.ldc AS ldc, c.lldc AS lldc, c.sids AS sids,
       c.restriction AS restriction, c.restriction_source AS restriction_source
ORDER BY iso3
"""

# Programmes a plan wrote (their source starts with the scenario's words), counted apart from the graph's own.
PLANNED_PROGRAMMES = """
MATCH (p:Programme) WHERE p.source STARTS WITH $prefix
RETURN count(p) AS n
"""

COUNTRY_INDICATORS = """
MATCH (c:Country)-[m:MEASURED]->(i:Indicator)
RETURN c.iso3 AS iso3, i.family AS family, i.edition AS edition, i.pillar AS pillar,
       m.score AS score, m.tier AS tier, m.stage AS stage, m.year AS year, m.source AS source
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

# How many countries each programme names as beneficiaries (an umbrella's own list, whatever its components
# name), grouped by that number: a few rows.
PROGRAMME_COUNTRY_COUNTS = """
MATCH (p:Programme)-[t:TARGETS]->(c:Country)
WHERE t.role IS NULL OR t.role = 'beneficiary'
WITH p, count(DISTINCT c) AS n
RETURN n, collect(p.id) AS programmes
"""

# Programme families: each component and the umbrella it belongs to.
COMPONENTS = """
MATCH (q:Programme)-[:COMPONENT_OF]->(p:Programme)
RETURN q.id AS component, p.id AS umbrella
ORDER BY umbrella, component
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
# organisation and country, as one row per organisation x programme x country did. Both are read
# grouped (per organisation and role; per country), so a row is an organisation or a country.
ORG_PROGRAMMES = """
MATCH (o:Organisation)-[:FUNDS]->(p:Programme)
RETURN o.id AS org, o.name AS name, 'FUNDS' AS role, collect(p.id) AS programmes
UNION ALL
MATCH (o:Organisation)-[:IMPLEMENTS]->(p:Programme)
RETURN o.id AS org, o.name AS name, 'IMPLEMENTS' AS role, collect(p.id) AS programmes
"""

# Per country, the programmes that name it (a row per country, not per link).
COUNTRY_PROGRAMMES = """
MATCH (p:Programme)-[t:TARGETS]->(c:Country)
WHERE (t.role IS NULL OR t.role = 'beneficiary')
  AND NOT EXISTS { MATCH (p)<-[:COMPONENT_OF]-(:Programme)-[t2:TARGETS]->(c) WHERE t2.role IS NULL OR t2.role = 'beneficiary' }
RETURN c.iso3 AS iso3, c.name AS country, c.region AS region, c.subregion AS subregion, collect(p.id) AS programmes
ORDER BY iso3
"""

# Who implements what, a row per organisation and role (lead or partner), its programmes collected: a plan's
# implementers to ask are those that led the work (queries.network.activity).
IMPLEMENTS_BY_ROLE = """
MATCH (o:Organisation)-[i:IMPLEMENTS]->(p:Programme)
RETURN o.id AS org, i.role AS role, collect(p.id) AS programmes
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

# One country's memberships, current (no valid_to) and ended or suspended (with the day): its profile shows both.
COUNTRY_MEMBERSHIPS = """
MATCH (c:Country)-[m:MEMBER_OF]->(b:Organisation)
WHERE c.iso3 = $iso3
RETURN b.name AS bloc_name, m.valid_to AS valid_to
ORDER BY bloc_name
"""

# One bloc's member states, those that left or whose participation is suspended with the day (valid_to).
BLOC_MEMBERS_OF = """
MATCH (c:Country)-[m:MEMBER_OF]->(b:Organisation)
WHERE b.id = $id
RETURN c.iso3 AS iso3, c.name AS name, m.valid_from AS since, m.valid_to AS until, m.source AS source
ORDER BY iso3
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
       p.scope AS scope, p.scope_regions AS scope_regions, p.scope_blocs AS scope_blocs, p.source AS source,
       p.status AS status
ORDER BY programme
"""

# The same periods and scopes grouped by value, each group's programmes collected: what the coverage
# over time needs, a row per distinct period and scope rather than per programme.
PROGRAMME_SPANS = """
MATCH (p:Programme)
RETURN p.start_date AS start_date, p.end_date AS end_date, p.themes AS themes, p.scope AS scope,
       p.scope_regions AS scope_regions, p.scope_blocs AS scope_blocs, collect(p.id) AS programmes
"""

# One programme's funders, implementers and target countries ($id): a programme page reads these, not the tables.
ONE_PROGRAMME_FUNDERS = """
MATCH (f:Organisation)-[fu:FUNDS]->(p:Programme {id: $id})
RETURN p.id AS programme, f.id AS funder, f.name AS funder_name, fu.amount AS amount, fu.disbursed AS disbursed,
       fu.currency AS currency, fu.year AS year, fu.source AS source, fu.as_of AS as_of
ORDER BY funder
"""
ONE_PROGRAMME_IMPLEMENTERS = """
MATCH (o:Organisation)-[i:IMPLEMENTS]->(p:Programme {id: $id})
RETURN p.id AS programme, o.id AS org, o.name AS name, i.role AS role, i.source AS source, i.as_of AS as_of
ORDER BY org
"""
ONE_PROGRAMME_TARGETS = """
MATCH (p:Programme {id: $id})-[t:TARGETS]->(c:Country)
RETURN p.id AS programme, c.iso3 AS iso3, c.name AS country, c.region AS region, c.subregion AS subregion,
       coalesce(t.role, 'beneficiary') AS role, t.share AS share, t.source AS source, t.as_of AS as_of
ORDER BY iso3
"""
# One organisation's place among the others ($id): what it is part of, and what is part of it.
ONE_ORGANISATION_FAMILY = """
MATCH (b:Organisation {id: $id})-[r:PART_OF]->(a:Organisation)
RETURN 'part of' AS relation, a.id AS org, a.name AS name, r.source AS source
UNION ALL
MATCH (a:Organisation)-[r:PART_OF]->(b:Organisation {id: $id})
RETURN 'has as part' AS relation, a.id AS org, a.name AS name, r.source AS source
"""

# Programmes by id ($ids), with what a plan's briefing shows of each.
PROGRAMMES_BY_ID = """
MATCH (p:Programme) WHERE p.id IN $ids
RETURN p.id AS programme, p.name AS name, p.description AS description, p.themes AS themes
ORDER BY programme
"""

# The contributions stated to programmes that state no budget (a budget is their money), grouped by currency: a
# row per currency, the links collected.
FUNDING_AMOUNTS = """
MATCH (f:Organisation)-[fu:FUNDS]->(p:Programme) WHERE fu.amount IS NOT NULL AND p.budget IS NULL
RETURN fu.currency AS currency, collect(p.id) AS programmes, collect(f.id) AS funders, collect(fu.amount) AS amounts
"""

# The funders of the programmes $ids.
PROGRAMME_FUNDERS_BY_ID = """
MATCH (f:Organisation)-[:FUNDS]->(p:Programme) WHERE p.id IN $ids
RETURN p.id AS programme, collect(f.id) AS funders
"""

# When the programmes' sources were read: how recent a year can be before its count is still filling in.
PROGRAMME_AS_OF = """
MATCH (p:Programme) WHERE p.as_of IS NOT NULL
RETURN p.as_of AS as_of
"""

# The periods and stated status of the programmes $ids: whether each is running.
PROGRAMME_PERIODS_BY_ID = """
MATCH (p:Programme) WHERE p.id IN $ids
RETURN p.id AS programme, p.name AS name, p.start_date AS start_date, p.end_date AS end_date, p.status AS status,
       p.as_of AS as_of
ORDER BY programme
"""

# Per country, the programmes that name it as a participant or a host: shown in its profile, never counted as support.
COUNTRY_PARTICIPATION = """
MATCH (p:Programme)-[t:TARGETS]->(c:Country {iso3: $iso3})
WHERE t.role = 'participant' OR t.role = 'host'
RETURN p.id AS programme, p.name AS name, t.role AS role, t.source AS source
ORDER BY programme
"""

# Per funder, the programmes it funds (a row per funder, not per link).
FUNDER_PROGRAMMES = """
MATCH (f:Organisation)-[:FUNDS]->(p:Programme)
RETURN f.id AS funder, f.name AS funder_name, collect(p.id) AS programmes
ORDER BY funder
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
