"""A fingerprint of the text analysis, stored with an index.

When the thesaurus, the dictionary, the gazetteer or the analyser's rules
change, documents indexed earlier hold stale tokens; ``health()`` then says a
reindex is due.
"""

from __future__ import annotations

import hashlib
from importlib import resources

# Bump when the analyser's code changes the tokens it produces.
ANALYZER_REVISION = "2"  # 2: region_code keywords of enclosing regions, province


def _fingerprint() -> str:
    digest = hashlib.sha256(ANALYZER_REVISION.encode())
    for package, name in (
        ("search.analysis.data", "thesaurus.tsv"),
        ("search.analysis.data", "dictionary.txt"),
        ("standards.data", "gbt2260.json"),
    ):
        digest.update(resources.files(package).joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


ANALYSIS_VERSION = _fingerprint()
