"""A seeded synthetic IATI 2.03 activity file of about the size asked for.

    python -m bench.iati_gen OUT.xml --mb 100 --seed 7

The same seed and size give byte-identical files.
"""

from __future__ import annotations

import argparse
import random
from xml.sax.saxutils import escape

COUNTRIES = [
    "KE",
    "GH",
    "NG",
    "SN",
    "UG",
    "RW",
    "ID",
    "PH",
    "LK",
    "MU",
    "BR",
    "CO",
    "UA",
    "GE",
    "MD",
    "JO",
    "MA",
    "TN",
    "BD",
    "NP",
]
TOPICS = [
    "national CERT capacity",
    "cybercrime legislation and the Budapest Convention",
    "rural water supply",
    "primary education",
    "cyber security strategy development",
    "maternal health services",
    "e-evidence training for judges",
    "road maintenance",
    "CSIRT cooperation",
    "agricultural extension",
]


def activity(rng: random.Random, i: int) -> str:
    topic = rng.choice(TOPICS)
    a, b = rng.sample(COUNTRIES, 2)
    pct = rng.choice([50, 60, 70, 80])
    funder = f"GB-GOV-{rng.randint(1, 30)}"
    value = rng.randint(1, 900) * 1000
    return f"""<iati-activity default-currency="EUR" xml:lang="en">
 <iati-identifier>XX-GEN-{i:08d}</iati-identifier>
 <reporting-org ref="{funder}" type="10"><narrative>Donor {funder}</narrative></reporting-org>
 <title><narrative>Programme {i}: {escape(topic)}</narrative></title>
 <description type="1"><narrative>Support for {escape(topic)} in partner countries, phase {rng.randint(1, 4)}.</narrative></description>
 <participating-org ref="{funder}" role="1" type="10"><narrative>Donor {funder}</narrative></participating-org>
 <participating-org ref="XM-IMP-{rng.randint(1, 500)}" role="4" type="21"><narrative>Implementer {rng.randint(1, 500)}</narrative></participating-org>
 <activity-status code="{rng.choice("1234")}"/>
 <activity-date iso-date="{rng.randint(2010, 2024)}-01-01" type="2"/>
 <recipient-country code="{a}" percentage="{pct}"/><recipient-country code="{b}" percentage="{100 - pct}"/>
 <sector vocabulary="1" code="15210" percentage="100"/>
 <budget type="1" status="1"><period-start iso-date="2020-01-01"/><period-end iso-date="2020-12-31"/><value currency="EUR" value-date="2020-01-01">{value}</value></budget>
 <transaction><transaction-type code="2"/><transaction-date iso-date="2020-01-01"/><value value-date="2020-01-01">{value}</value></transaction>
 <transaction><transaction-type code="3"/><transaction-date iso-date="2020-06-01"/><value value-date="2020-06-01">{value // 2}</value></transaction>
</iati-activity>
"""


def write(path: str, mb: float, seed: int = 7) -> int:
    """Write activities until the file reaches ``mb`` megabytes; return how many."""
    rng = random.Random(seed)
    limit, size, i = int(mb * 1_000_000), 0, 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03" generated-datetime="2026-01-01T00:00:00Z">\n'
        )
        f.write(head)
        size += len(head)
        while size < limit:
            block = activity(rng, i)
            f.write(block)
            size += len(block.encode())
            i += 1
        f.write("</iati-activities>\n")
    return i


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(write(a.out, a.mb, a.seed), "activities")
