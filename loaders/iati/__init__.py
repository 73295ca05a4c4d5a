"""IATI activity files (standard 2.01-2.03) to programmes, organisations and links.

Streaming, in parallel: the file is cut after an ``</iati-activity>`` every
:data:`split.BLOCK_BYTES`; worker processes parse the pieces (``lxml`` iterparse,
each activity cleared once read) into validated batches, handed back in
file order and written as they come inside one open transaction
(:meth:`graph.store.Store.write_stream`). The loader's memory therefore
stays flat whatever the file's size (the store's open transaction holds
what it has written), and an error anywhere rolls the whole file back.
Small files, files with a DOCTYPE or a non-ASCII-compatible encoding, and
any piece that does not parse on its own go through one parser in this
process instead, which also words every error (same records, same
messages: a test compares both paths).

How an activity maps onto the graph:

- the activity is a ``Programme`` keyed by its ``iati-identifier``; title
  and description (type 1) from their English narrative, else the
  activity's default language, else the first; status from the
  ActivityStatus codelist; dates actual over planned; DAC sectors
  (vocabulary 1 and 2); recipient regions (vocabulary 1) as codes;
  budgets summed per currency (a revised budget replaces the original of
  its period; several currencies leave the budget empty, with a warning);
- ``participating-org`` role 1 (Funding) becomes ``FUNDS``, role 4
  (Implementing) ``IMPLEMENTS`` (the first listed is ``lead``, the others
  ``partner``); roles 3 (Extending) and 2 (Accountable), and the
  ``reporting-org``, are kept on the programme as organisation ids
  (``extending_orgs``, ``accountable_orgs``, ``reporting_org``);
- organisations are keyed by their IATI ref, resolved through
  :mod:`loaders.identity` (so ``GB-GOV-1`` is the FCDO of the bundled
  data); one without a ref by its normalised name;
- transactions of type 2 (commitment) and 3 (disbursement) sum into the
  provider's ``FUNDS`` ``amount`` and ``disbursed`` (the reporting org when
  no provider is named), in one currency: several currencies leave them
  empty, with a warning (no conversion without a rate table);
- ``recipient-country`` becomes ``TARGETS`` with its ``share``; where the
  activity's commitments are known, ``amount`` is that share of them;
- cyber relevance: IATI has no cyber sector or marker, so titles and
  descriptions are matched against :data:`KEYWORDS`; the matched words are
  stored in ``cyber_keywords`` and give the GFCE themes.

Unknown codes are warnings naming the activity. A 1.x file, malformed or
truncated XML, a duplicate identifier or percentages that do not sum to 100
are errors, and nothing of the file is written.

The package's modules, each one job:

- :mod:`loaders.iati.codes`: the codes it knows (versions, codelists, statuses, organisation types, cyber keywords);
- :mod:`loaders.iati.elements`: reading the XML (activities one at a time, an element's text, attributes, numbers);
- :mod:`loaders.iati.mapping`: one activity onto the graph, as the list above says;
- :mod:`loaders.iati.split`: the file cut into pieces and parsed by worker processes;
- :mod:`loaders.iati.load`: the load functions (:func:`load_iati`, :func:`iter_iati`, :func:`read_iati`).
"""

from loaders.iati.codes import IATI_VERSIONS, KEYWORDS, classify, codelist, iso3_of
from loaders.iati.load import IatiReport, iter_iati, load_iati, read_iati, schema_violations
from loaders.iati.split import default_jobs

__all__ = [
    "IATI_VERSIONS",
    "KEYWORDS",
    "IatiReport",
    "classify",
    "codelist",
    "default_jobs",
    "iso3_of",
    "iter_iati",
    "load_iati",
    "read_iati",
    "schema_violations",
]
