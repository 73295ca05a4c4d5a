"""Regenerate the bundled reference data (run by hand, not at install).

``countries.csv`` and ``indices.gci-2024.csv`` come from the faithful copies
in ``loaders/data/reference/`` (each with its PROVENANCE note): ISO 3166-1
codes and names from pycountry; UN M49 region, sub-region, LDC/LLDC/SIDS
and sovereignty from datasets/country-codes; income group, World Bank
region and lending category from the World Bank's FY25 CLASS.xlsx; GCI
2024 scores from ITU via World Bank Data360. Nothing is recomputed.

The bloc files need country_converter 1.3.2's country_data.tsv (for the
Council of Europe column: no page of the Council's own listing its members
is held); pass its path to rebuild them too:

    python scripts/build_reference.py [/path/to/country_converter/country_data.tsv]
"""

import csv
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "loaders" / "data"
REF = OUT / "reference"
FLAGS_SRC = (
    "UN M49 https://unstats.un.org/unsd/methodology/m49/overview/ (inputs of 2024-09-25; LDC, LLDC, SIDS) and statoids.com "
    "(sovereignty) (retrieved from a faithful copy: loaders/data/reference/country_flags_datasets_country_codes.PROVENANCE.md); "
    "codes and names: ISO 3166-1 (pycountry {v})"
)
FLAGS_AS_OF = "2024-09-25"
KOSOVO_SRC = (
    "IATI Country codelist (XK); region: UN M49 https://unstats.un.org/unsd/methodology/m49/overview/ lists Kosovo "
    "within Serbia, Southern Europe"
)
WB_SRC = (
    "World Bank, World Bank Country and Lending Groups, CLASS.xlsx FY25 (valid 2024-07-01 to 2025-06-30; 2023 GNI per capita), "
    "https://datahelpdesk.worldbank.org/knowledgebase/articles/906519-world-bank-country-and-lending-groups (retrieved from a "
    "faithful copy: loaders/data/reference/wb_class_fy25.PROVENANCE.md)"
)
GCI_SRC = (
    "ITU Global Cybersecurity Index 2024 (GCIv5), https://www.itu.int/pub/D-HDB-GCI.01-2024, as distributed by World Bank "
    "Data360 https://data360.worldbank.org/en/dataset/ITU_GCI (retrieved from a faithful copy: "
    "loaders/data/reference/itu_gci_2024.PROVENANCE.md)"
)
GCI_2020_SRC = (
    "ITU Global Cybersecurity Index 2020 (GCIv4), https://www.itu.int/pub/D-STR-GCI.01-2021, as distributed by World Bank "
    "Data360 https://data360.worldbank.org/en/dataset/ITU_GCI (retrieved from a faithful copy: "
    "loaders/data/reference/itu_gci_2020.PROVENANCE.md)"
)
GCI_PILLARS = {
    "legal": "legal",
    "technical": "technical",
    "organizational": "organisational",
    "capacity_development": "capacity_development",
    "cooperation": "cooperation",
}
COUNTRY_COLUMNS = [
    "iso3",
    "iso2",
    "iso_numeric",
    "name",
    "region",
    "subregion",
    "sovereignty",
    "ldc",
    "lldc",
    "sids",
    "income_group",
    "wb_region",
    "lending_category",
    "income_vintage",
    "income_source",
    "source",
    "as_of",
    "restriction",
    "restriction_source",
]
# Countries where donors cannot lawfully deliver capacity building: a UN Security Council regime binds every member
# state. Unilateral sanctions (one donor's) are not listed: they bind that donor alone.
RESTRICTIONS = {
    "PRK": (
        "UN Security Council sanctions on the DPRK under resolution 1718 (2006) and its successors",
        "United Nations, Security Council press release SC/8853 of 14 October 2006 on resolution 1718 (2006), "
        "https://press.un.org/en/2006/sc8853.doc.htm",
    ),
}
AS_OF = "2026-11-28"
M49 = "https://unstats.un.org/unsd/methodology/m49/"
CC = "country_converter 1.3.2 country_data.tsv (https://github.com/IndEcol/country_converter)"

EU_PAGE = "https://europa.eu/european-union/about-eu/countries_en?country=ES"  # its table of members and years of entry
EAP_BLR = "https://en.armradio.am/2021/06/28/belarus-suspends-participation-in-eastern-partnership-initiative/"
# Cuba is still listed among the OAS's 35 members, but its government was excluded from taking part in 1962 and,
# when that exclusion was revoked in 2009, declined to return: no OAS programme "for member states" reaches it.
OAS_CUB = "https://www.loc.gov/law/foreign-news/article/organization-of-american-states-revocation-of-resolution-barring-cubas-membership/"
BLOCS = {  # id: (name, kind, source, members as iso3 or iso3:valid_from:valid_to[, as_of[, {iso3: its own source}]])
    "commonwealth": (
        "The Commonwealth",
        "intergovernmental",
        "https://thecommonwealth.org/our-member-countries",
        "ATG AUS BHS BGD BRB BLZ BWA BRN CMR CAN CYP DMA SWZ FJI GAB GMB GHA GRD GUY IND JAM KEN KIR LSO MWI MYS MDV MLT MUS "
        "MOZ NAM NRU NZL NGA PAK PNG RWA KNA LCA VCT WSM SYC SLE SGP SLB ZAF LKA TZA TGO TON TTO TUV UGA GBR VUT ZMB",
    ),
    "oas": (
        "Organization of American States",
        "regional_body",
        "https://www.oas.org/en/member_states/default.asp",
        "ATG ARG BHS BRB BLZ BOL BRA CAN CHL COL CRI DMA DOM ECU SLV GRD GTM GUY HTI HND JAM MEX PAN PRY PER KNA LCA VCT "
        "SUR TTO USA URY VEN NIC:-:2023-11-19 CUB:-:1962-01-31",
        "2026-11-28",
        {"CUB": OAS_CUB},
    ),
    "g7": (
        "Group of Seven (G7)",
        "intergovernmental",
        "https://www.consilium.europa.eu/en/policies/g7/",
        "CAN FRA DEU ITA JPN GBR USA",
    ),
    "g20": (
        "Group of Twenty (G20)",
        "intergovernmental",
        "https://g20.org/about-the-g20/",
        "ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF TUR GBR USA",
    ),
    "african-union": (
        "African Union",
        "regional_body",
        "https://au.int/en/member_states/countryprofiles2",
        "DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG COD CIV DJI EGY GNQ ERI SWZ ETH GAB GMB GHA GIN GNB KEN LSO LBR LBY "
        "MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA RWA ESH STP SEN SYC SLE SOM ZAF SSD SDN TZA TGO TUN UGA ZMB ZWE",
    ),
    "ecowas": (
        "Economic Community of West African States",
        "regional_body",
        "https://www.ecowas.int/member-states/",
        "BEN CPV CIV GMB GHA GIN GNB LBR NGA SEN SLE TGO BFA:-:2025-01-29 MLI:-:2025-01-29 NER:-:2025-01-29",
    ),
    "eu": (
        "European Union",
        "regional_body",
        EU_PAGE,
        "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK SVN ESP SWE "
        "GBR:1973-01-01:2020-01-31",
        "2026-12-06",
    ),
    "eastern-partnership": (
        "Eastern Partnership",
        "intergovernmental",
        "http://eeas.europa.eu/eastern/about/index_en.htm",
        "ARM AZE GEO MDA UKR BLR:-:2021-06-28",
        "2026-12-02",
        {"BLR": EAP_BLR},
    ),
    "asean": (
        "Association of Southeast Asian Nations",
        "regional_body",
        "https://asean.org/member-states/",
        "BRN KHM IDN LAO MYS MMR PHL SGP THA VNM TLS:2025-10-26:-",
    ),
}
FROM_TABLE = {  # id: (name, kind, country_converter column, aliases)
    "council-of-europe": ("Council of Europe", "intergovernmental", "CoE", "CoE"),
}


def _csv(name: str) -> dict[str, dict[str, str]]:
    with open(REF / name, encoding="utf-8") as f:
        return {r["iso3"]: r for r in csv.DictReader(f)}


def _subregion(flags: dict[str, str]) -> str:
    """M49 sub-region, or its intermediate region where M49 splits Sub-Saharan Africa and Latin America."""
    if flags["sub_region_name"] in ("Sub-Saharan Africa", "Latin America and the Caribbean"):
        return flags["intermediate_region_name"]
    return flags["sub_region_name"]


def countries() -> None:
    flags, wb = _csv("country_flags_datasets_country_codes.csv"), _csv("wb_class_fy25.csv")
    codes = sorted({c.alpha_3 for c in pycountry.countries} | {"XKX"})
    with open(OUT / "countries.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COUNTRY_COLUMNS, lineterminator="\n")
        w.writeheader()
        for code in codes:
            c = pycountry.countries.get(alpha_3=code)
            fl, cl = flags.get(code), wb.get(code)
            row = {
                "iso3": code,
                "iso2": c.alpha_2 if c else "XK",
                "iso_numeric": c.numeric if c else "",
                "name": getattr(c, "common_name", None) or c.name if c else "Kosovo",
            }
            if fl:
                indep = fl["is_independent"]
                row |= {
                    "region": fl["region_name"],
                    "subregion": _subregion(fl) if fl["region_name"] else "",
                    "sovereignty": "independent" if indep == "Yes" else indep,
                    **{k: "true" if fl[k] == "x" else "false" for k in ("ldc", "lldc", "sids")},
                    "source": FLAGS_SRC.format(v=pycountry.__version__),
                    "as_of": FLAGS_AS_OF,
                }
            else:  # Kosovo: no ISO code, so not in the M49 file
                row |= {"region": "Europe", "subregion": "Southern Europe", "source": KOSOVO_SRC, "as_of": FLAGS_AS_OF}
            if cl:
                row |= {
                    "income_group": cl["income_group"],
                    "wb_region": cl["region"],
                    "lending_category": cl["lending_category"],
                    "income_vintage": "FY25",
                    "income_source": WB_SRC,
                }
            if code in RESTRICTIONS:
                row["restriction"], row["restriction_source"] = RESTRICTIONS[code]
            w.writerow(row)


def gci() -> None:
    """GCI 2024 and 2020 in the indices format: the overall score and the five pillar scores of every country."""
    for edition, source in (("2024", GCI_SRC), ("2020", GCI_2020_SRC)):
        with open(OUT / f"indices.gci-{edition}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["country", "index", "edition", "pillar", "score", "year", "source", "as_of"])
            for code, r in sorted(_csv(f"itu_gci_{edition}.csv").items()):
                w.writerow([code, "gci", edition, "", r["gci_overall"], r["year"], source, edition])
                for column, pillar in GCI_PILLARS.items():
                    w.writerow([code, "gci", edition, pillar, r[column], r["year"], source, edition])


def blocs(tsv: str) -> None:
    table = {r["ISO3"]: r for r in csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t")}
    codes = sorted({c.alpha_3 for c in pycountry.countries} | {"XKX"})
    with (
        open(OUT / "blocs.organisations.csv", "w", newline="", encoding="utf-8") as f,
        open(OUT / "blocs.member_of.csv", "w", newline="", encoding="utf-8") as g,
    ):
        orgs, links = csv.writer(f, lineterminator="\n"), csv.writer(g, lineterminator="\n")
        orgs.writerow(["id", "name", "kind", "source", "as_of", "aliases"])
        links.writerow(["from", "to", "valid_from", "valid_to", "source", "as_of"])
        for bid, (name, kind, src, members, *more) in BLOCS.items():
            as_of = more[0] if more else AS_OF
            own = more[1] if len(more) > 1 else {}
            orgs.writerow([bid, name, kind, src, as_of, ""])
            for m in members.split():
                iso, vf, vt = (m.split(":") + ["-", "-"])[:3]
                assert iso in codes, iso
                links.writerow([iso, bid, "" if vf == "-" else vf, "" if vt == "-" else vt, own.get(iso, src), as_of])
        for bid, (name, kind, col, aliases) in FROM_TABLE.items():
            orgs.writerow([bid, name, kind, CC, AS_OF, aliases])
            for iso in codes:
                if table.get(iso, {}).get(col) and not table[iso].get("obsolete"):
                    links.writerow([iso, bid, "", "", f"{CC}, column {col}", AS_OF])


if __name__ == "__main__":
    countries()
    gci()
    if len(sys.argv) > 1:
        blocs(sys.argv[1])
