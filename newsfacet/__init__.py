"""newsfacet: raw news dumps in, a faceted Elasticsearch index out."""

__version__ = "0.1.0"
