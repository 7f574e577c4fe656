"""A hostile DCAT source: entity expansion, external entities, remote JSON-LD contexts, size.

Each is refused before the parser sees it (the job fails with the reason); no
request leaves the portal on the document's say-so.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from datasets.harvest.dcat import DcatSource
from datasets.harvest.records import SourceError, quiet

RDF_HEAD = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">'
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>" + RDF_HEAD
    + '<dcat:Dataset rdf:about="http://x.example/d"><dct:title>&j;</dct:title></dcat:Dataset>'
    + "</rdf:RDF>"
)  # fmt: skip
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + RDF_HEAD
    + '<dcat:Dataset rdf:about="http://x.example/d"><dct:title>&x;</dct:title></dcat:Dataset>'
    + "</rdf:RDF>"
)  # fmt: skip


def gather(path: Path, **options: Any):
    max_bytes = options.pop("max_bytes", 10**7)
    source = DcatSource(str(path), timeout=5, max_pages=10, max_bytes=max_bytes, **options)
    return source.gather(quiet)


@pytest.mark.parametrize(("name", "body"), [("laughs.rdf", LAUGHS), ("xxe.rdf", XXE)])
def test_xml_with_a_dtd_is_refused_quickly(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / name
    path.write_text(body)
    started = time.perf_counter()
    with pytest.raises(SourceError, match="DTD"):
        gather(path)
    assert time.perf_counter() - started < 2


class _Counting(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = json.dumps({"@context": {"dct": "http://purl.org/dc/terms/"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


def test_json_ld_naming_a_remote_context_is_refused_without_fetching_it(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        context = f"http://127.0.0.1:{server.server_address[1]}/context.jsonld"
        for shape in (context, [context, {"dcat": "http://www.w3.org/ns/dcat#"}],
                      {"@import": context}):  # fmt: skip
            path = tmp_path / "remote.jsonld"
            path.write_text(json.dumps({
                "@context": shape, "@id": "http://x.example/d", "@type": "dcat:Dataset",
                "dct:title": "remote context",
            }))  # fmt: skip
            with pytest.raises(SourceError, match="remote @context"):
                gather(path)
        assert _Counting.hits == 0
    finally:
        server.shutdown()
    inline = tmp_path / "inline.jsonld"
    inline.write_text(json.dumps({
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
        "@id": "http://x.example/d", "@type": "dcat:Dataset", "dct:title": "inline context",
    }))  # fmt: skip
    assert [r.data["title"] for r in gather(inline).records] == ["inline context"]


def test_an_oversized_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.ttl"
    path.write_text("# " + "x" * 5000)
    with pytest.raises(SourceError, match="larger than"):
        gather(path, max_bytes=1000)
