"""Read stage: listing files in, ``records.Listing`` out; no database here.

Sources, recognised from content: ``hf_api`` (Daily Papers API JSON), ``arxiv_atom`` (arXiv API
Atom), ``arxiv_jsonl`` (arXiv metadata snapshot, streamed), ``hf_html`` (saved papers pages),
``hf_text`` (captures of papers pages as text, any shape; ``markup`` strips their markup).
"""

from etl.sources.errors import SourceError
from etl.sources.files import (
    PARSERS,
    SourceListing,
    date_in_name,
    decode_text,
    detect_source,
    expand_inputs,
    listing_date,
    open_listing,
    sha256_file,
)

__all__ = [
    "PARSERS",
    "SourceError",
    "SourceListing",
    "date_in_name",
    "decode_text",
    "detect_source",
    "expand_inputs",
    "listing_date",
    "open_listing",
    "sha256_file",
]
