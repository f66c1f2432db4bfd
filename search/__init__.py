"""Everything that talks to Elasticsearch: client, schema, bulk load, queries, the dev node."""
