"""Regenerate loaders/data/countries.csv and the bloc files (run by hand, not at install).

Inputs: ISO 3166-1 from pycountry; UN M49 region/sub-region and the EU, G7,
G20 and Council of Europe columns from country_converter 1.3.2's
country_data.tsv (pass its path); the other blocs' member lists below, each
with the page that lists them.

    python scripts/build_reference.py /path/to/country_converter/country_data.tsv
"""

import csv
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "loaders" / "data"
AS_OF = "2026-11-28"
M49 = "https://unstats.un.org/unsd/methodology/m49/"
CC = "country_converter 1.3.2 country_data.tsv (https://github.com/IndEcol/country_converter)"

BLOCS = {  # id: (name, kind, source, members; (iso3, valid_from, valid_to) for changes)
    "commonwealth": ("The Commonwealth", "intergovernmental", "https://thecommonwealth.org/our-member-countries",
        "ATG AUS BHS BGD BRB BLZ BWA BRN CMR CAN CYP DMA SWZ FJI GAB GMB GHA GRD GUY IND JAM KEN KIR LSO MWI MYS MDV MLT MUS "
        "MOZ NAM NRU NZL NGA PAK PNG RWA KNA LCA VCT WSM SYC SLE SGP SLB ZAF LKA TZA TGO TON TTO TUV UGA GBR VUT ZMB"),
    "oas": ("Organization of American States", "regional_body", "https://www.oas.org/en/member_states/default.asp",
        "ATG ARG BHS BRB BLZ BOL BRA CAN CHL COL CRI CUB DMA DOM ECU SLV GRD GTM GUY HTI HND JAM MEX PAN PRY PER KNA LCA VCT "
        "SUR TTO USA URY VEN NIC:-:2023-11-19"),
    "g7": ("Group of Seven (G7)", "intergovernmental", "https://www.consilium.europa.eu/en/policies/g7/",
        "CAN FRA DEU ITA JPN GBR USA"),
    "g20": ("Group of Twenty (G20)", "intergovernmental", "https://g20.org/about-the-g20/",
        "ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF TUR GBR USA"),
    "african-union": ("African Union", "regional_body", "https://au.int/en/member_states/countryprofiles2",
        "DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG COD CIV DJI EGY GNQ ERI SWZ ETH GAB GMB GHA GIN GNB KEN LSO LBR LBY "
        "MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA RWA ESH STP SEN SYC SLE SOM ZAF SSD SDN TZA TGO TUN UGA ZMB ZWE"),
    "ecowas": ("Economic Community of West African States", "regional_body", "https://www.ecowas.int/member-states/",
        "BEN CPV CIV GMB GHA GIN GNB LBR NGA SEN SLE TGO BFA:-:2025-01-29 MLI:-:2025-01-29 NER:-:2025-01-29"),
    "asean": ("Association of Southeast Asian Nations", "regional_body", "https://asean.org/member-states/",
        "BRN KHM IDN LAO MYS MMR PHL SGP THA VNM TLS:2025-10-26:-"),
}
FROM_TABLE = {  # id: (name, kind, country_converter column, value present)
    "eu": ("European Union", "regional_body", "EU27"),
    "council-of-europe": ("Council of Europe", "intergovernmental", "CoE"),
}


def main(tsv: str) -> None:
    table = {r["ISO3"]: r for r in csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t")}
    codes = sorted({c.alpha_3 for c in pycountry.countries} | {"XKX"})
    with open(OUT / "countries.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["iso3", "iso2", "iso_numeric", "name", "region", "subregion", "income_group", "source", "as_of"])
        for code in codes:
            c = pycountry.countries.get(alpha_3=code)
            t = table.get(code, {})
            region = {"America": "Americas"}.get(t.get("continent", ""), t.get("continent", ""))
            name = getattr(c, "common_name", None) or c.name if c else "Kosovo"
            src = f"ISO 3166-1 (pycountry {pycountry.__version__}" if c else "IATI Country codelist (XK)"
            src += f"); region: UN M49 {M49} via {CC}" if region else ")"
            w.writerow([code, c.alpha_2 if c else "XK", c.numeric if c else "", name, region,
                        t.get("UNregion", "") if region else "", "", src, AS_OF])
    with open(OUT / "blocs.organisations.csv", "w", newline="", encoding="utf-8") as f, \
         open(OUT / "blocs.member_of.csv", "w", newline="", encoding="utf-8") as g:
        orgs, links = csv.writer(f, lineterminator="\n"), csv.writer(g, lineterminator="\n")
        orgs.writerow(["id", "name", "kind", "source", "as_of"])
        links.writerow(["from", "to", "valid_from", "valid_to", "source", "as_of"])
        for bid, (name, kind, src, members) in BLOCS.items():
            orgs.writerow([bid, name, kind, src, AS_OF])
            for m in members.split():
                iso, vf, vt = (m.split(":") + ["-", "-"])[:3]
                assert iso in codes, iso
                links.writerow([iso, bid, "" if vf == "-" else vf, "" if vt == "-" else vt, src, AS_OF])
        for bid, (name, kind, col) in FROM_TABLE.items():
            orgs.writerow([bid, name, kind, CC, AS_OF])
            for iso in codes:
                if table.get(iso, {}).get(col) and not table[iso].get("obsolete"):
                    links.writerow([iso, bid, "", "", f"{CC}, column {col}", AS_OF])


if __name__ == "__main__":
    main(sys.argv[1])
